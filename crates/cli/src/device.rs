//! `--device`: the backend a command computes on, among those compiled into this binary.

use burn::tensor::Device;
use emopiano_model::{Backend, DeviceError, select_device};

/// The `--device` flag of the commands that compute (train, reproduce, generate, evaluate,
/// classify, the benchmarks).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct DeviceArgs {
    /// The backend to compute on: ndarray, flex, cpu, wgpu, wgpu-cpu (wgpu on a software
    /// adapter, Mesa's lavapipe: for checking the GPU code path, not for speed) or cuda, among
    /// those compiled into this binary (`emopiano models` lists them). Default: the build's
    /// preferred one.
    #[arg(long, value_name = "BACKEND", value_parser = compiled_backend)]
    pub device: Option<Backend>,
}

impl DeviceArgs {
    /// The backend asked for, or the build's preferred one.
    pub fn backend(&self) -> Backend {
        self.device.unwrap_or_else(Backend::default_of_build)
    }

    /// How a benchmark names where it ran: the backend, and a warning on a software adapter.
    pub fn describe(&self) -> String {
        let backend = self.backend();
        if backend.is_software() {
            format!("{backend} (a software adapter: figures for regressions, not a GPU's)")
        } else {
            backend.to_string()
        }
    }

    /// For `--devices n`: the devices that train data-parallel with [`Self::device`], the
    /// backend's second to `n`th.
    pub fn parallel(&self, n: usize) -> Result<Vec<Device>, DeviceError> {
        Ok(self.backend().devices(n.max(1))?.split_off(1))
    }

    /// The device asked for, or [`select_device`].
    pub fn device(&self) -> Result<Device, DeviceError> {
        self.device
            .map_or_else(|| Ok(select_device()), Backend::device)
    }
}

/// A backend by name, refused at once if this binary lacks it (the error names the feature).
fn compiled_backend(name: &str) -> Result<Backend, DeviceError> {
    let backend: Backend = name.parse()?;
    backend.device().map(|_| backend)
}

/// `--version`: the version and the backends this binary has.
pub fn long_version() -> &'static str {
    // clap keeps the text for the process's life; it is built once.
    let text = format!("{}\nbackends: {}", env!("CARGO_PKG_VERSION"), compiled());
    Box::leak(text.into_boxed_str())
}

/// The backends this binary has, for `emopiano models` and `--version`.
pub fn compiled() -> String {
    let names: Vec<String> = Backend::compiled()
        .into_iter()
        .map(|b| {
            if b == Backend::default_of_build() {
                format!("{b} (default)")
            } else {
                b.to_string()
            }
        })
        .collect();
    names.join(", ")
}
