//! How a probe script runs its framed sections after the shared read: two concurrent lanes
//! balanced by cost, or one after the other.

/// How a script runs its sections after the shared read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// Two concurrent lanes balanced by cost; what [`ProbeScript::build`] uses.
    #[default]
    Lanes,
    /// One after the other (the benchmark's comparison: less CPU, more wall clock).
    Sequential,
}

/// One framed section of the script and its estimated cost.
pub(super) struct Part {
    pub(super) text: String,
    pub(super) cost: u32,
}

/// Lay the sections out: the shared read first, on its own (the process table it reads then
/// holds none of the probe's lanes), then the sections in two lanes that run concurrently,
/// balanced by cost: the piped lane runs in a subshell whose output waits in a pipe; the
/// direct lane writes to stdout and then forwards the pipe with `cat`. A section's output is
/// never interleaved with another's. Fewer than two sections that start processes: one
/// lane, no pipe.
pub(super) fn lay_out(parts: Vec<Part>, read: String, layout: Layout) -> String {
    let busy = parts.iter().filter(|p| p.cost > 0).count();
    if busy < 2 || layout == Layout::Sequential {
        return read + &parts.iter().map(|p| p.text.as_str()).collect::<String>();
    }
    let mut by_cost: Vec<usize> = (0..parts.len()).collect();
    by_cost.sort_by_key(|&i| std::cmp::Reverse(parts[i].cost));
    let (mut piped, mut direct) = (Vec::new(), Vec::new());
    let (mut piped_load, mut direct_load) = (0, 0);
    for i in by_cost {
        if piped_load <= direct_load {
            piped.push(i);
            piped_load += parts[i].cost;
        } else {
            direct.push(i);
            direct_load += parts[i].cost;
        }
    }
    piped.sort_unstable();
    direct.sort_unstable();
    let lane = |ids: &[usize]| -> String { ids.iter().map(|&i| parts[i].text.as_str()).collect() };
    format!(
        "{read}{{\n{}}} | {{\n{}cat\n}}\n",
        lane(&piped),
        lane(&direct)
    )
}
