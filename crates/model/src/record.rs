//! Weights as bytes that depend on the weights alone.

use burn::module::{Module, ModuleMapper, Param, ParamId};
use burn::store::RecordError;
use burn::tensor::{Bool, Int, Tensor};

/// The burnpack bytes of `module`, the same for the same weights: its parameters numbered by
/// [`numbered_params`], and every id that still stands in the file's metadata (a running
/// state's, such as batch norm's statistics, which a mapper cannot renumber) replaced by
/// [`canonical_ids`].
pub fn weights_bytes<M: Module>(module: M) -> Result<Vec<u8>, RecordError> {
    let mut bytes = numbered_params(module).into_record().into_bytes()?.to_vec();
    canonical_ids(&mut bytes);
    Ok(bytes)
}

/// Rewrites, in place, every 8-byte parameter id (`"param_id"` followed by CBOR's 64-bit integer
/// head) in the metadata of burnpack `bytes` as 2³², 2³² + 1, … in file order: distinct from the
/// small ids of [`numbered_params`], and of the same length, so that nothing else moves. Bytes
/// that are not burnpack are left as they are.
pub fn canonical_ids(bytes: &mut [u8]) {
    // Magic (4 bytes), version (2), then the metadata's size (4, little-endian).
    const KEY: &[u8] = b"hparam_id\x1b";
    let Some(size) = bytes.get(6..10) else {
        return;
    };
    let size = u32::from_le_bytes([size[0], size[1], size[2], size[3]]) as usize;
    let end = 10usize.saturating_add(size).min(bytes.len());
    let mut next: u64 = 1 << 32;
    let mut i = 10;
    while i + KEY.len() + 8 <= end {
        if &bytes[i..i + KEY.len()] == KEY {
            let at = i + KEY.len();
            bytes[at..at + 8].copy_from_slice(&next.to_be_bytes());
            next += 1;
            i = at + 8;
        } else {
            i += 1;
        }
    }
}

/// Gives every parameter of `module` the id of its position (0, 1, 2, … in visiting order).
///
/// Burn draws parameter ids from an unseeded generator, and its burnpack records them, so two
/// seeded trainings with equal weights would otherwise write different files. A module loaded
/// from such bytes matches parameters by name, never by id.
pub fn numbered_params<M: Module>(module: M) -> M {
    module.map(&mut Numbering(0))
}

struct Numbering(u64);

impl Numbering {
    fn next(&mut self) -> ParamId {
        self.0 += 1;
        ParamId::from(self.0 - 1)
    }
}

impl ModuleMapper for Numbering {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let id = self.next();
        Param::initialized(id, param.into_value())
    }

    fn map_int<const D: usize>(&mut self, param: Param<Tensor<D, Int>>) -> Param<Tensor<D, Int>> {
        let id = self.next();
        Param::initialized(id, param.into_value())
    }

    fn map_bool<const D: usize>(
        &mut self,
        param: Param<Tensor<D, Bool>>,
    ) -> Param<Tensor<D, Bool>> {
        let id = self.next();
        Param::initialized(id, param.into_value())
    }
}

#[cfg(test)]
mod tests {
    use burn::module::Module;
    use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig};
    use burn::store::ModuleRecord;
    use burn::tensor::Bytes;

    use super::weights_bytes;

    #[derive(Module, Debug)]
    struct Net {
        linear: Linear,
        norm: BatchNorm,
    }

    fn net() -> Net {
        // Seeded: both nets get the same weights (and, from Burn, different ids).
        let device = crate::training_device();
        device.seed(5);
        Net {
            linear: LinearConfig::new(3, 2).init(&device),
            norm: BatchNormConfig::new(2).init(&device),
        }
    }

    #[test]
    fn the_same_weights_give_the_same_bytes_and_load_back() {
        let raw = |n: &Net| n.clone().into_record().into_bytes().unwrap().to_vec();
        // Parameters are initialised when first read: each net's bytes are taken before the
        // next is seeded.
        let a = net();
        let (raw_a, bytes) = (raw(&a), weights_bytes(a.clone()).unwrap());
        let b = net();
        // Burn's own bytes differ (its ids are drawn at random), these do not.
        assert_ne!(raw_a, raw(&b));
        assert_eq!(bytes, weights_bytes(b).unwrap());
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes)).unwrap();
        let loaded = net().try_load_record(record).unwrap();
        assert_eq!(
            loaded.linear.weight.val().into_data(),
            a.linear.weight.val().into_data()
        );
    }
}
