//! Weights as bytes that depend on the weights alone.

use burn::module::{Module, ModuleMapper, Param, ParamId};
use burn::tensor::{Bool, Int, Tensor};

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
