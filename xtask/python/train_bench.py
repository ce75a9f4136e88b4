"""Seconds per training step of the paper's models in PyTorch or Keras/TensorFlow, on the CPU.

Usage: train_bench.py {torch|keras|peak} MODEL STEPS BATCH WINDOW VOCAB HIDDEN THREADS [DEVICE]
Prints one JSON object: {"framework", "model", "step_seconds": [...], "version"}.
The models mirror emopiano's LstmStack: LSTM layers -> BatchNorm -> Dropout(0.3)
[-> Dense(256) -> ReLU -> BatchNorm -> Dropout] -> Dense(vocab), softmax cross-entropy,
RMSprop with Keras' settings (lr 1e-3, rho 0.9, eps 1e-7, no momentum). `peak` measures numpy's
f32 matmul (OpenBLAS) in GFLOP/s instead.
"""
import json
import os
import sys
import time


def layers_of(model):
    return {"lstm1": (1, None), "lstm2": (2, None), "lstm3": (2, 256)}[model]


def torch_bench(model, steps, batch, window, vocab, hidden, threads, device="cpu"):
    import torch
    from torch import nn

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    n_layers, dense = layers_of(model)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(1, hidden, num_layers=n_layers, batch_first=True)
            self.norm = nn.BatchNorm1d(hidden, momentum=0.01, eps=1e-3)
            self.drop = nn.Dropout(0.3)
            head = []
            width = hidden
            if dense:
                head += [nn.Linear(hidden, dense), nn.ReLU(),
                         nn.BatchNorm1d(dense, momentum=0.01, eps=1e-3), nn.Dropout(0.3)]
                width = dense
            head.append(nn.Linear(width, vocab))
            self.head = nn.Sequential(*head)

        def forward(self, x):
            _, (h, _) = self.lstm(x)
            return self.head(self.drop(self.norm(h[-1])))

    net = Net().to(device)
    net.train()
    opt = torch.optim.RMSprop(net.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(batch, window, 1, device=device)
    y = torch.randint(0, vocab, (batch,), device=device)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        opt.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        float(loss)  # waits for the device
        times.append(time.perf_counter() - start)
    version = torch.__version__
    if device != "cpu":
        version += f" on {torch.cuda.get_device_name()} (cuDNN {torch.backends.cudnn.version()})"
    return times, version


def keras_bench(model, steps, batch, window, vocab, hidden, threads, device="cpu"):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    from keras_reference import build

    # The paper's Sequential model (its reference code), with its compile settings.
    net = build(model, "last-step", vocab, hidden, 256, window)
    net.compile(loss="categorical_crossentropy", optimizer="rmsprop")
    rng = np.random.default_rng(0)
    x = rng.random((batch, window, 1), dtype=np.float32)
    y = np.eye(vocab, dtype=np.float32)[rng.integers(0, vocab, batch)]
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        net.train_on_batch(x, y)
        times.append(time.perf_counter() - start)
    return times, f"tensorflow {tf.__version__}, keras {tf.keras.__version__}"


def numpy_peak(threads, n=2048, repeats=5):
    import numpy as np

    a = np.random.rand(n, n).astype(np.float32)
    b = np.random.rand(n, n).astype(np.float32)
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2 * n**3 / best / 1e9, np.__version__


def _timed(f):
    start = time.perf_counter()
    f()
    return time.perf_counter() - start


def main():
    framework = sys.argv[1]
    if framework == "peak":
        threads = int(sys.argv[2])
        gflops, version = numpy_peak(threads)
        print(json.dumps({"framework": "numpy", "gflops": gflops, "version": version}))
        return
    model, steps, batch, window, vocab, hidden, threads = sys.argv[2:9]
    device = sys.argv[9] if len(sys.argv) > 9 else "cpu"
    args = (model, int(steps), int(batch), int(window), int(vocab), int(hidden), int(threads),
            device)
    bench = {"torch": torch_bench, "keras": keras_bench}[framework]
    times, version = bench(*args)
    print(json.dumps({"framework": framework, "model": model, "step_seconds": times,
                      "version": version}))


if __name__ == "__main__":
    main()
