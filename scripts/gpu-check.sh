#!/usr/bin/env bash
# GPU check for a machine with a GPU (not CI): one RMSprop step of LSTM2 at the paper's size on the
# wgpu backend (and cuda when the CUDA toolkit is present), compared with the CPU reference
# backend from the same weights and batch. Fails when the losses differ by more than 1e-3
# (relative) or the loss does not fall. Expect a long first build (wgpu: about an hour of CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
args=(--hidden 512 --batch 64 --window 100 --vocab 100)
cargo run --release -p emopiano --features wgpu --example backend_check -- "${args[@]}"
if command -v nvcc >/dev/null 2>&1; then
    cargo run --release -p emopiano --features cuda --example backend_check -- "${args[@]}"
else
    echo "nvcc not found: cuda check skipped"
fi

# Training speed on the GPU: the fused layer on wgpu against PyTorch with cuDNN on the same GPU
# (needs the torch environment: target/xtask-venv-torch or $EMOPIANO_TORCH_VENV, PyPI's CUDA
# build), then one paper-size epoch of every Eerola model, to estimate the whole Table 1
# (100- and 200-epoch runs: about 300 × the sum of the seconds per epoch).
cargo run --release -p xtask --features wgpu -- bench train --skip-stock --skip-keras \
    --torch-device cuda --out target/bench/train-wgpu.json \
    || echo "bench train on the GPU failed (is PyTorch with CUDA installed?)"
if [ -d ../shared/data/eerola ]; then
    cargo run --release -p xtask --features wgpu -- reproduce-table1 --dataset eerola \
        --path ../shared/data/eerola --profile epoch --out target/gpu-epoch
fi
