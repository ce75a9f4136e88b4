//! Backend selection: the only place in emopiano that names a Burn backend.

use burn::tensor::Device;

/// The compute device of the backend this build enables, chosen by cargo feature:
/// `cuda` (first GPU) › `wgpu` (default adapter) › `cpu` (CubeCL's CPU runtime, the GPU kernels'
/// code path compiled for the CPU) › `flex` › `ndarray` (the default feature).
/// `BURN_DEVICE` is not consulted: the feature decides, so a build behaves the same everywhere.
///
/// Model code never names a backend; it takes a `&Device`. Use [`training_device`] for training.
pub fn select_device() -> Device {
    #[cfg(feature = "cuda")]
    {
        Device::cuda(0)
    }
    #[cfg(all(feature = "wgpu", not(feature = "cuda")))]
    {
        Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)
    }
    #[cfg(all(feature = "cpu", not(any(feature = "cuda", feature = "wgpu"))))]
    {
        Device::cpu()
    }
    #[cfg(all(
        feature = "flex",
        not(any(feature = "cuda", feature = "wgpu", feature = "cpu"))
    ))]
    {
        Device::flex()
    }
    #[cfg(all(
        feature = "ndarray",
        not(any(feature = "cuda", feature = "wgpu", feature = "cpu", feature = "flex"))
    ))]
    {
        #[allow(deprecated)]
        // burn-ndarray is deprecated in 0.22 but is this project's default backend
        Device::ndarray()
    }
    #[cfg(not(any(
        feature = "cuda",
        feature = "wgpu",
        feature = "cpu",
        feature = "flex",
        feature = "ndarray"
    )))]
    {
        compile_error!("emopiano-model needs one backend feature: ndarray, flex, cpu, wgpu or cuda")
    }
}

/// [`select_device`] with autodiff, for training: batch norm and dropout are active only on an
/// autodiff device in training mode.
pub fn training_device() -> Device {
    select_device().autodiff()
}

/// The name of the backend [`select_device`] uses, for logs and run metadata.
pub fn backend_name() -> &'static str {
    if cfg!(feature = "cuda") {
        "cuda"
    } else if cfg!(feature = "wgpu") {
        "wgpu"
    } else if cfg!(feature = "cpu") {
        "cpu"
    } else if cfg!(feature = "flex") {
        "flex"
    } else {
        "ndarray"
    }
}

/// The plain CPU backend (`ndarray`, the default feature) whatever else the build enables: the
/// reference that `examples/backend_check.rs` compares [`select_device`]'s backend against.
/// `None` when the build was made without the `ndarray` feature.
pub fn reference_device() -> Option<Device> {
    #[cfg(feature = "ndarray")]
    {
        #[allow(deprecated)]
        Some(Device::ndarray())
    }
    #[cfg(not(feature = "ndarray"))]
    {
        None
    }
}
