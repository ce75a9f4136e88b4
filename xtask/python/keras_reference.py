"""The paper's models in Keras 3 / TensorFlow: parameter counts and training-loss curves.

Usage:
  keras_reference.py count               -> JSON {"version", "models": [{model, head, vocab, hidden,
                                            dense, window, params}, ...]}
  keras_reference.py train DATA.json MODEL HEAD EPOCHS THREADS
      DATA.json: {"vocab": V, "window": W, "inputs": [index, ...] (windows × W, the
                  trainer's own windows), "features": "index / vocab", "targets": [index, ...],
                  "hidden": H, "dense": D, "batch": B}
      The model reads index / V, as emopiano's paper models and the paper's reference code do.
      -> JSON {"losses": [loss per epoch], "seconds": s, "version": "..."}

The models are the paper's Sequential models as its reference code builds them: LSTM layers ->
BatchNormalization -> Dropout(0.3) -> Flatten [-> Dense(256) -> relu -> BatchNormalization ->
Dropout(0.3)] -> Dense(vocab) -> softmax, categorical cross-entropy, RMSprop with Keras' defaults,
inputs index / vocab. HEAD "all-steps" makes the last LSTM return every step (so Flatten sees
[window, hidden]); "last-step" returns the final state only (Flatten is a no-op).
"""
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def layers_of(model):
    return {"lstm1": (1, None), "lstm2": (2, None), "lstm3": (2, 256)}[model]


def build(model, head, vocab, hidden, dense_size, window):
    import tensorflow as tf

    keras = tf.keras
    L = keras.layers
    n_layers, dense = layers_of(model)
    if dense is not None:
        dense = dense_size
    net = keras.Sequential()
    net.add(keras.Input(shape=(window, 1)))
    for i in range(n_layers):
        last = i + 1 == n_layers
        net.add(L.LSTM(hidden, return_sequences=(not last) or head == "all-steps"))
    net.add(L.BatchNormalization())
    net.add(L.Dropout(0.3))
    net.add(L.Flatten())
    if dense:
        net.add(L.Dense(dense))
        net.add(L.Activation("relu"))
        net.add(L.BatchNormalization())
        net.add(L.Dropout(0.3))
    net.add(L.Dense(vocab))
    net.add(L.Activation("softmax"))
    return net


def count():
    import tensorflow as tf

    rows = []
    for vocab, hidden, dense, window in [(47, 512, 256, 100), (11, 16, 8, 12)]:
        for model in ["lstm1", "lstm2", "lstm3"]:
            for head in ["last-step", "all-steps"]:
                net = build(model, head, vocab, hidden, dense, window)
                rows.append({"model": model, "head": head, "vocab": vocab, "hidden": hidden,
                             "dense": dense, "window": window, "params": net.count_params()})
    version = f"tensorflow {tf.__version__}, keras {tf.keras.__version__}"
    print(json.dumps({"version": version, "models": rows}))


def train(data_path, model, head, epochs, threads):
    import numpy as np
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    with open(data_path) as f:
        data = json.load(f)
    vocab = data["vocab"]
    window = data["window"]
    if data.get("features") != "index / vocab":
        sys.exit(f"{data_path}: unknown features {data.get('features')!r} (want 'index / vocab')")
    # float32 division, as emopiano's scalar_features computes it.
    x = np.array(data["inputs"], dtype=np.float32).reshape(-1, window, 1) / np.float32(vocab)
    y = np.eye(vocab, dtype=np.float32)[np.array(data["targets"])]
    tf.keras.utils.set_random_seed(data.get("seed", 42))
    net = build(model, head, vocab, data["hidden"], data["dense"], window)
    net.compile(loss="categorical_crossentropy", optimizer="rmsprop")
    start = time.perf_counter()
    # One line per epoch on stderr, so that an hour-long run shows where it is.
    progress = tf.keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: print(
        f"Keras {model} {head}: epoch {epoch + 1}/{epochs} loss {logs['loss']:.6g} "
        f"({time.perf_counter() - start:.0f} s)", file=sys.stderr, flush=True))
    history = net.fit(x, y, epochs=epochs, batch_size=data["batch"], shuffle=True, verbose=0,
                      callbacks=[progress])
    seconds = time.perf_counter() - start
    print(json.dumps({"losses": [float(v) for v in history.history["loss"]], "seconds": seconds,
                      "version": f"tensorflow {tf.__version__}, keras {tf.keras.__version__}",
                      "date": time.strftime("%Y-%m-%d")}))


def main():
    if sys.argv[1] == "count":
        count()
    else:
        data, model, head, epochs, threads = sys.argv[2:7]
        train(data, model, head, int(epochs), int(threads))


if __name__ == "__main__":
    main()
