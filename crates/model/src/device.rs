//! Backend selection: the only place in emopiano that names a Burn backend.
//!
//! Library entry points take a `&Device`; [`select_device`] is the default, and [`Backend`] turns
//! a name a user typed (`--device wgpu-cpu`) into a device of this build, or into an error that
//! names the cargo feature the build lacks.

use std::fmt;
use std::str::FromStr;

use burn::tensor::Device;

#[cfg(not(any(
    feature = "cuda",
    feature = "wgpu",
    feature = "cpu",
    feature = "flex",
    feature = "ndarray"
)))]
compile_error!("emopiano-model needs one backend feature: ndarray, flex, cpu, wgpu or cuda");

/// A backend by the name the command line takes (`--device`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// burn-ndarray on the CPU (the default feature; the project's reference numerics).
    Ndarray,
    /// burn-flex on the CPU.
    Flex,
    /// CubeCL's CPU runtime: the GPU kernels' code path compiled for the CPU.
    Cpu,
    /// wgpu on its default adapter (a GPU; `CUBECL_WGPU_DEFAULT_DEVICE` can name another).
    Wgpu,
    /// wgpu on a software adapter (Mesa's lavapipe): the GPU code path on a machine without a
    /// GPU. For checking that path, never for GPU figures.
    WgpuCpu,
    /// CUDA on the first GPU.
    Cuda,
}

/// A backend name that is unknown, or a backend this build was compiled without.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    /// Not a backend's name.
    #[error("unknown device {name:?}: expected one of {}", Backend::names())]
    Unknown {
        /// What was asked for.
        name: String,
    },
    /// A backend whose cargo feature this build lacks.
    #[error(
        "device {backend} is not compiled into this build: build it with the cargo feature \
         `{feature}` (this build has {compiled})"
    )]
    NotCompiled {
        /// The backend asked for.
        backend: Backend,
        /// The feature that compiles it in.
        feature: &'static str,
        /// The backends this build has, comma-separated.
        compiled: String,
    },
    /// wgpu finds no GPU adapter; its default device would wait for one forever.
    #[error(
        "device wgpu: no GPU adapter found (wgpu lists {found}); `--device wgpu-cpu` runs on the \
         software adapter"
    )]
    NoGpu {
        /// The adapters wgpu lists.
        found: String,
    },
}

impl Backend {
    /// Every backend, in the order [`select_device`] prefers them (GPUs first).
    pub const ALL: [Backend; 6] = [
        Backend::Cuda,
        Backend::Wgpu,
        Backend::WgpuCpu,
        Backend::Cpu,
        Backend::Flex,
        Backend::Ndarray,
    ];

    /// The name `--device` takes.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Ndarray => "ndarray",
            Backend::Flex => "flex",
            Backend::Cpu => "cpu",
            Backend::Wgpu => "wgpu",
            Backend::WgpuCpu => "wgpu-cpu",
            Backend::Cuda => "cuda",
        }
    }

    /// The cargo feature (of `emopiano-model`, forwarded by `emopiano` and `xtask`) that compiles
    /// this backend in.
    pub fn feature(self) -> &'static str {
        match self {
            Backend::WgpuCpu => "wgpu",
            other => other.name(),
        }
    }

    /// Whether this build has the backend.
    pub fn is_compiled(self) -> bool {
        match self {
            Backend::Ndarray => cfg!(feature = "ndarray"),
            Backend::Flex => cfg!(feature = "flex"),
            Backend::Cpu => cfg!(feature = "cpu"),
            Backend::Wgpu | Backend::WgpuCpu => cfg!(feature = "wgpu"),
            Backend::Cuda => cfg!(feature = "cuda"),
        }
    }

    /// A software adapter: its timings say nothing about a GPU.
    pub fn is_software(self) -> bool {
        self == Backend::WgpuCpu
    }

    /// The backends this build has, in [`Backend::ALL`]'s order.
    pub fn compiled() -> Vec<Backend> {
        Self::ALL.into_iter().filter(|b| b.is_compiled()).collect()
    }

    /// The backend [`select_device`] uses: the first compiled one that has hardware here
    /// (wgpu only where it finds a GPU adapter), and never the software adapter, which is used
    /// only when asked for by name.
    pub fn default_of_build() -> Backend {
        Self::compiled()
            .into_iter()
            .find(|&b| !b.is_software() && (b != Backend::Wgpu || wgpu_gpus().is_ok()))
            .unwrap_or(Backend::Ndarray)
    }

    /// The device of this backend (without autodiff; training adds it).
    pub fn device(self) -> Result<Device, DeviceError> {
        if !self.is_compiled() {
            return Err(DeviceError::NotCompiled {
                backend: self,
                feature: self.feature(),
                compiled: Self::compiled()
                    .iter()
                    .map(|b| b.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        if self == Backend::Wgpu {
            wgpu_gpus()?;
        }
        Ok(self.device_unchecked())
    }

    /// `n` devices of this backend for data-parallel training: GPUs by index (CUDA's, or wgpu's
    /// discrete GPUs), copies of the one device on the CPU backends and the software adapter
    /// (threads sharing the processor).
    pub fn devices(self, n: usize) -> Result<Vec<Device>, DeviceError> {
        let first = self.device()?;
        Ok((0..n)
            .map(|i| self.gpu(i, n).unwrap_or_else(|| first.clone()))
            .collect())
    }

    /// GPU `i` of `n` training together, on the GPU backends; `None` on the others.
    fn gpu(self, i: usize, n: usize) -> Option<Device> {
        match self {
            #[cfg(feature = "cuda")]
            Backend::Cuda => Some(Device::cuda(i)),
            // One wgpu device is the default adapter; several are the discrete GPUs by index.
            #[cfg(feature = "wgpu")]
            Backend::Wgpu if n > 1 => Some(Device::wgpu(burn::tensor::DeviceKind::DiscreteGpu(i))),
            _ => {
                let _ = (i, n);
                None
            }
        }
    }

    #[allow(unreachable_code)] // each arm returns only where its feature is compiled in
    fn device_unchecked(self) -> Device {
        match self {
            Backend::Ndarray => {
                #[cfg(feature = "ndarray")]
                {
                    #[allow(deprecated)]
                    // burn-ndarray is deprecated in 0.22 but is this project's default backend
                    return Device::ndarray();
                }
            }
            Backend::Flex => {
                #[cfg(feature = "flex")]
                return Device::flex();
            }
            Backend::Cpu => {
                #[cfg(feature = "cpu")]
                return Device::cpu();
            }
            Backend::Wgpu => {
                #[cfg(feature = "wgpu")]
                return Device::wgpu(burn::tensor::DeviceKind::DefaultDevice);
            }
            Backend::WgpuCpu => {
                // cubecl-wgpu skips CPU adapters unless one is asked for by kind.
                #[cfg(feature = "wgpu")]
                return Device::wgpu(burn::tensor::DeviceKind::Cpu);
            }
            Backend::Cuda => {
                #[cfg(feature = "cuda")]
                return Device::cuda(0);
            }
        }
        unreachable!("device() checks that {} is compiled in", self.name())
    }

    fn names() -> String {
        Self::ALL.map(Backend::name).join(", ")
    }
}

/// Whether wgpu finds a GPU adapter, not only a software one (asked once per process): without
/// one, cubecl-wgpu's default device waits forever.
fn wgpu_gpus() -> Result<(), DeviceError> {
    #[cfg(feature = "wgpu")]
    {
        static FOUND: std::sync::OnceLock<Result<(), DeviceError>> = std::sync::OnceLock::new();
        FOUND
            .get_or_init(|| {
                let software = Device::wgpu(burn::tensor::DeviceKind::Cpu);
                let found = Device::enumerate(burn::tensor::DeviceType::Wgpu).into_vec();
                if found.iter().any(|d| *d != software) {
                    return Ok(());
                }
                let names: Vec<String> = found.iter().map(|d| format!("{d:?}")).collect();
                Err(DeviceError::NoGpu {
                    found: if names.is_empty() {
                        "none".into()
                    } else {
                        names.join(", ")
                    },
                })
            })
            .clone()
    }
    #[cfg(not(feature = "wgpu"))]
    Ok(())
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Backend {
    type Err = DeviceError;

    /// A backend by name; whether it is compiled in is checked by [`Backend::device`].
    fn from_str(name: &str) -> Result<Self, DeviceError> {
        Self::ALL
            .into_iter()
            .find(|b| b.name() == name)
            .ok_or_else(|| DeviceError::Unknown {
                name: name.to_string(),
            })
    }
}

/// The device of the backend this build prefers, chosen by cargo feature:
/// `cuda` (first GPU) › `wgpu` (default adapter, where wgpu finds a GPU) › `cpu` (CubeCL's CPU
/// runtime) › `flex` › `ndarray` (the default feature). `BURN_DEVICE` is not consulted: the feature decides, so a
/// build behaves the same everywhere (cubecl-wgpu's own `CUBECL_WGPU_DEFAULT_DEVICE` still picks
/// wgpu's adapter).
///
/// Model code never names a backend; it takes a `&Device`. Use [`training_device`] for training.
///
/// ```
/// use emopiano_model::{Backend, select_device};
/// let device = select_device(); // this build's preferred backend
/// let cpu = "ndarray".parse::<Backend>()?.device()?; // the default feature's backend
/// // A backend this build lacks is refused with the cargo feature that compiles it in.
/// if !Backend::Cuda.is_compiled() {
///     assert!(Backend::Cuda.device().unwrap_err().to_string().contains("`cuda`"));
/// }
/// # let _ = (device, cpu);
/// # Ok::<(), emopiano_model::DeviceError>(())
/// ```
pub fn select_device() -> Device {
    Backend::default_of_build().device_unchecked()
}

/// [`select_device`] with autodiff, for training: batch norm and dropout are active only on an
/// autodiff device in training mode.
pub fn training_device() -> Device {
    select_device().autodiff()
}

/// The name of the backend [`select_device`] uses, for logs and run metadata.
pub fn backend_name() -> &'static str {
    Backend::default_of_build().name()
}

/// The plain CPU backend (`ndarray`, the default feature) whatever else the build enables: the
/// reference that `examples/backend_check.rs` compares another backend against.
/// `None` when the build was made without the `ndarray` feature.
pub fn reference_device() -> Option<Device> {
    Backend::Ndarray.device().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_list_the_choices() {
        for b in Backend::ALL {
            assert_eq!(b.name().parse::<Backend>(), Ok(b));
        }
        let err = "vulkan".parse::<Backend>().unwrap_err().to_string();
        assert!(
            err.contains("\"vulkan\"") && err.contains("wgpu-cpu"),
            "{err}"
        );
    }

    #[test]
    fn a_backend_not_compiled_in_names_its_feature() {
        let missing = Backend::ALL.into_iter().find(|b| !b.is_compiled());
        // A build with every backend has nothing to refuse.
        let Some(missing) = missing else { return };
        let err = missing.device().unwrap_err().to_string();
        assert!(
            err.contains(&format!("`{}`", missing.feature())) && err.contains(missing.name()),
            "{err}"
        );
        assert!(err.contains(Backend::default_of_build().name()), "{err}");
    }
}
