//! The value tables of MidiTok's default configuration at 8 ticks per beat: velocity bins and
//! the `beat.position.resolution` values of *Duration* and *TimeShift* tokens.

/// miditok's `beat_res={(0, 4): 8, (4, 12): 4}`: 8 positions per beat for the first 4 beats,
/// then 4 per beat up to 12 beats.
const BEAT_RES: [(u64, u64, u64); 2] = [(0, 4, 8), (4, 12, 4)];

/// Ticks per beat at which every duration is written ([`super::notes::TICKS_PER_QUARTER`]).
const TPB: u64 = super::notes::TICKS_PER_QUARTER as u64;

/// The 32 velocity bins, `np.linspace(0, 127, 33, dtype=np.intc)[1:]`: 3, 7, 11, … 123, 127.
pub(crate) fn velocities() -> Vec<u64> {
    (1..=32).map(|k| 127 * k / 32).collect()
}

/// miditok's `_create_durations_tuples`: every (beat, position, resolution) of [`BEAT_RES`]
/// but zero, then (12, 0, 4).
fn duration_tuples() -> impl Iterator<Item = (u64, u64, u64)> {
    BEAT_RES
        .into_iter()
        .flat_map(|(from, to, res)| {
            (from..to).flat_map(move |beat| (0..res).map(move |pos| (beat, pos, res)))
        })
        .skip(1)
        .chain(std::iter::once((12, 0, 4)))
}

/// The length in ticks of each duration value, ascending: 1, 2, … 31, 32, 34, … 96.
pub(crate) fn duration_ticks() -> impl Iterator<Item = u64> {
    duration_tuples().map(|(beat, pos, res)| (beat * res + pos) * TPB / res)
}

/// Every duration value as its token text (`0.1.8` … `12.0.4`), ascending.
pub(crate) fn duration_values() -> impl Iterator<Item = String> {
    duration_tuples().map(|(b, p, r)| format!("{b}.{p}.{r}"))
}

/// The token text of a duration of `ticks`, one of [`duration_ticks`].
pub(crate) fn duration_value(ticks: u64) -> Option<String> {
    duration_tuples()
        .find(|&(b, p, r)| (b * r + p) * TPB / r == ticks)
        .map(|(b, p, r)| format!("{b}.{p}.{r}"))
}

/// The ticks of a duration token text; `None` for a value not in the vocabulary.
pub(crate) fn value_ticks(value: &str) -> Option<u64> {
    let mut parts = value.split('.').map(|x| x.parse::<u64>().ok());
    let (b, p, r) = (parts.next()??, parts.next()??, parts.next()??);
    let canonical = parts.next().is_none() && format!("{b}.{p}.{r}") == value;
    (canonical && duration_tuples().any(|t| t == (b, p, r))).then(|| (b * r + p) * TPB / r)
}

/// `np_get_closest`: the value of ascending `bins` nearest `x`, a tie going to the larger.
pub(crate) fn closest(bins: &[u64], x: u64) -> u64 {
    let i = bins.partition_point(|&b| b < x);
    match (i.checked_sub(1).map(|j| bins[j]), bins.get(i)) {
        (Some(below), Some(&above)) if x - below < above - x => below,
        (_, Some(&above)) => above,
        (Some(below), None) => below,
        (None, None) => x,
    }
}

/// `_time_ticks_to_tokens`: a time shift as the largest duration values that fit, greedily.
pub(crate) fn time_shift_values(mut ticks: u64) -> Vec<String> {
    let bins: Vec<u64> = duration_ticks().collect();
    let mut out = Vec::new();
    while ticks >= bins[0] {
        let i = bins.partition_point(|&b| b <= ticks) - 1;
        out.extend(duration_value(bins[i]));
        ticks -= bins[i];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_miditoks() {
        let v = velocities();
        assert_eq!((v.len(), v[0], v[1], v[31]), (32, 3, 7, 127));
        let d: Vec<u64> = duration_ticks().collect();
        assert_eq!(d.len(), 64);
        assert_eq!((d[0], d[30], d[31], d[32], d[63]), (1, 31, 32, 34, 96));
        assert_eq!(duration_value(1).as_deref(), Some("0.1.8"));
        assert_eq!(duration_value(34).as_deref(), Some("4.1.4"));
        assert_eq!(value_ticks("12.0.4"), Some(96));
        assert_eq!(value_ticks("0.0.8"), None);
    }

    #[test]
    fn closest_breaks_ties_upwards_like_searchsorted() {
        let d: Vec<u64> = duration_ticks().collect();
        assert_eq!(closest(&d, 33), 34);
        assert_eq!(closest(&d, 500), 96);
        assert_eq!(closest(&velocities(), 5), 7);
        assert_eq!(closest(&velocities(), 1), 3);
        assert_eq!(time_shift_values(97), ["12.0.4", "0.1.8"]);
        assert_eq!(time_shift_values(33), ["4.0.4", "0.1.8"]);
    }
}
