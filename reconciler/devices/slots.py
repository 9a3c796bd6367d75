"""MIN slot assignment and write order: the fewest writes such that every step is valid.

The problem
-----------
A MIN has nine slots; one `time_segmentN` write replaces one slot whole. The cloud rejects
a write that would leave two enabled segments overlapping (spec 3.3, minutes inclusive),
so a plan is a sequence of single-slot writes in which every write is accepted: when a
slot is written with an enabled segment, no other slot may at that moment hold an enabled
segment that overlaps it. Disabling writes are always accepted.

The cost model
--------------
Sort the slots first:
- pinned: a wanted segment names the slot; its final content is that segment, exactly;
- kept: an unpinned wanted segment is already there, enabled: it stays (see below);
- must-change (M): known, enabled, holding nothing wanted: it is written either way,
  with a wanted segment (an *overwrite*) or with its own times and enable 0 (a *disable*);
- free (D): known and disabled: written only if a wanted segment goes there; its stale
  times are never rewritten otherwise;
- unknown: unreadable (None); never written and never chosen, unless pinned.
The `rest` R (unpinned enabled wanted segments that no slot holds) go to M or D. So

    writes = (pinned slots that differ) + |R| + |M| - (overwrites) + (extra writes)

Each overwrite saves one write, but it keeps its slot's old segment alive until the slot
is written. Draw an edge a -> b when the old segment of slot a overlaps the new segment
of slot b: a must be written before b. Disables go first (they never fail and only free
time), so only overwrites (and pinned or enabled slots replacing an enabled one) have old
segments left to block anything. A cycle (two overwrites each waiting for the other) can
only be broken by one extra write: disabling a slot of the cycle first. The fewest extra
writes are therefore a minimum *feedback vertex set* of the block graph, and

    cost(assignment) = fixed + |R| + |M| - overwrites + min_feedback_vertex_set(graph).

Why this is the minimum over all valid write sequences, not just ours:
1. Every slot whose final content differs from its current content needs a write.
2. A slot written twice needs its first write only to get its old segment out of the
   way; a disabling write does that best (it blocks nothing and is always accepted), so
   extra writes are "disable first" writes, and a set of them works exactly when it
   leaves the block graph without cycles (then a topological order exists).
3. Slots whose final content equals their current content never need a write: their
   segment is final, and the final state is valid (the wanted segments do not overlap).
4. Keeping a wanted segment where it already is never costs more: moving it from slot i
   to slot k costs a write at i, and the block graph of the moved layout, with i and k
   merged, contains the graph of the kept layout (there is always the edge i -> k), so
   its feedback vertex set is no smaller.
5. Free slots are interchangeable: a disabled old segment blocks nothing, and the edges
   into a slot depend only on the segment written there. So the search only decides, for
   each segment of R, which M slot it overwrites or "a free slot".
A branch-and-bound search over those choices finds the minimum: the bound is the cost
if every remaining segment could overwrite a remaining M slot without new cycles, plus
the feedback vertex set of the part already chosen (it can only grow: one more node adds
at most one). Segments and slots are tried in time order, slots whose old window
overlaps the segment first ("edit in place"), so the first minimum found is the plan and
plans are reproducible (they do not depend on the order of the file's list). Ties go to
fewer "disable first" writes.

Why the search is fast: overwrites matched in time order (the k-th earliest segment into
the slot with the k-th earliest old window) never form a cycle. Suppose they did; take
the earliest node c on it, its predecessor p and successor s (both later than c). Then
new(s).start > new(c).end >= old(p).start > old(c).end >= new(s).start, since p's old
window overlaps c's new one, s's new window overlaps c's old one, and old windows (like
new ones) do not overlap each other. So without pinned slots (and on a valid read) the
bound is always reached, and the search stops at the first such leaf (at most a few
dozen nodes in fuzzing). Only pinned slots can force a cycle; then proving that no
cheaper plan exists can take longer, so past SEARCH_LIMIT nodes (about 0.1 s) the search
keeps the best plan found: still safe, and in every fuzzed case still the minimum.

Unknown slots
-------------
A slot whose read could not be parsed is never the basis of a write: it is not chosen
for a segment and not disabled (that write would have to repeat its unknown times). If a
segment is pinned to it, it is overwritten whole with known values; until then its old
content counts as enabled all day (it may hold anything), so it is written before other
enabling writes, or disabled first with the pinned segment's values if a cycle needs it.
Unknown slots that are not written are assumed not to conflict; the read's warning says
they are unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import combinations
from typing import Literal

from reconciler.model import Segment, WantedSegment
from reconciler.timeofday import to_minutes

Reason = Literal["set", "disable", "disable-first"]
FREE = 0  # "a free (disabled) slot" in an assignment; real slots are 1..9
SEARCH_LIMIT = 5_000  # search nodes (see the module docstring)

# Stands in for the old content of an unknown slot that is about to be overwritten.
ANYTHING = Segment("load_first", "00:00", "23:59", True)


class NoRoomError(ValueError):
    """More segments than known slots (unreadable slots are never chosen)."""


@dataclass(frozen=True)
class SlotWrite:
    slot: int
    content: Segment
    reason: Reason  # "set": final content; "disable": final, off; "disable-first": extra
    wanted: WantedSegment | None = None


@lru_cache(maxsize=4096)
def minutes(segment: Segment) -> tuple[int, int]:
    return to_minutes(segment.start), to_minutes(segment.end)


def overlaps(a: Segment, b: Segment) -> bool:
    """Whether two windows share a minute (both ends included); ignores `enabled`."""
    a_start, a_end = minutes(a)
    b_start, b_end = minutes(b)
    return a_start <= b_end and b_start <= a_end


def holds(segment: Segment | None, wanted: WantedSegment) -> bool:
    """The slot already does what the wanted (enabled) segment asks."""
    return (segment is not None and segment.enabled and segment.mode == wanted.mode
            and segment.start == wanted.start and segment.end == wanted.end)


def as_segment(wanted: WantedSegment) -> Segment:
    return Segment(wanted.mode, wanted.start, wanted.end, wanted.enabled)


def switched_off(segment: Segment) -> Segment:
    return replace(segment, enabled=False)


def blocker(old: Segment | None) -> Segment | None:
    """What an old slot content blocks until the slot is written (None: nothing)."""
    if old is None:
        return ANYTHING
    return old if old.enabled else None


# --------------------------------------------------------------------------- the frame


@dataclass
class Frame:
    """Everything fixed before the search; the search only places `rest`."""

    current: dict[int, Segment | None]
    finals: dict[int, Segment] = field(default_factory=dict)  # pinned and kept slots
    wanted_at: dict[int, WantedSegment] = field(default_factory=dict)
    pinned: set[int] = field(default_factory=set)
    rest: list[WantedSegment] = field(default_factory=list)
    must_change: list[int] = field(default_factory=list)
    free: list[int] = field(default_factory=list)

    def changes(self, slot: int, final: Segment) -> bool:
        return self.current.get(slot) != final


def check_wanted(wanted: Sequence[WantedSegment], slots: int) -> None:
    """The config checks these already; a plan for an impossible final state is no plan."""
    pins = [w.slot for w in wanted if w.slot is not None]
    if any(not 1 <= pin <= slots for pin in pins):
        raise ValueError(f"a pinned slot is outside 1..{slots}: {pins}")
    if len(set(pins)) != len(pins):
        raise ValueError(f"two segments are pinned to the same slot: {sorted(pins)}")
    for w in wanted:
        if minutes(as_segment(w))[1] < minutes(as_segment(w))[0]:
            raise ValueError(f"wanted segment {w.start}-{w.end} ends before it starts; the "
                             "inverter rejects that (10013): split it at midnight")
    on = [as_segment(w) for w in wanted if w.enabled]
    for index, a in enumerate(on):
        for b in on[index + 1:]:
            if overlaps(a, b):
                raise ValueError(f"wanted segments {a.start}-{a.end} and {b.start}-{b.end} "
                                 "overlap; the inverter rejects that")


def frame(current: dict[int, Segment | None], wanted: Sequence[WantedSegment],
          slots: int) -> Frame:
    check_wanted(wanted, slots)
    result = Frame(current={n: current.get(n) for n in range(1, slots + 1)})
    for segment in wanted:
        if segment.slot is not None:  # pinned: exactly this, disabled ones included
            result.finals[segment.slot] = as_segment(segment)
            result.wanted_at[segment.slot] = segment
            result.pinned.add(segment.slot)
    for segment in wanted:
        if segment.slot is not None or not segment.enabled:
            continue  # an unpinned disabled segment needs no slot: "not active" is the default
        keep = next((n for n in range(1, slots + 1) if n not in result.finals
                     and holds(result.current[n], segment)), None)
        if keep is None:
            result.rest.append(segment)
        else:
            result.finals[keep] = as_segment(segment)
            result.wanted_at[keep] = segment
    # by time, so that plans do not depend on the order of the file's list
    result.rest.sort(key=lambda w: (to_minutes(w.start), to_minutes(w.end), w.mode))
    for n in range(1, slots + 1):
        old = result.current[n]
        if n in result.finals or old is None:
            continue
        (result.must_change if old.enabled else result.free).append(n)
    room = len(result.must_change) + len(result.free)
    if len(result.rest) > room:
        unknown = sum(1 for n, old in result.current.items()
                      if old is None and n not in result.pinned)
        raise NoRoomError(f"{len(result.rest)} segments need a slot but only {room} known "
                          f"slots are available ({unknown} unreadable slots are never chosen)")
    return result


# --------------------------------------------------------------------------- block graphs
#
# A block graph maps each node (a slot number) to the bitmask of the slots that must wait
# for it: bit b is set in graph[a] when the old segment of slot a overlaps the new segment
# of slot b. Only enabling writes whose slot holds an enabled (or unknown) old segment are
# nodes: a node without an old segment blocks nothing, so it can never be on a cycle.

Graph = dict[int, int]


def bits(slots: Iterable[int]) -> int:
    return sum(1 << slot for slot in slots)


def has_cycle(graph: Graph, alive: int) -> bool:
    """Peel living nodes that no living node waits for; a cycle is what cannot be peeled."""
    changed = True
    while alive and changed:
        changed = False
        for node, waiting in graph.items():
            if alive >> node & 1 and not waiting & alive:
                alive &= ~(1 << node)
                changed = True
    return alive != 0


def fewest_breakers(graph: Graph) -> int:
    """The fewest nodes (a bitmask) to disable first so that no cycle is left: a minimum
    feedback vertex set, exact (subsets by size, lowest slots first). Graphs have at most
    nine nodes and almost never a cycle, which the first test settles."""
    everyone = bits(graph)
    for size in range(len(graph) + 1):
        for chosen in combinations(sorted(graph), size):
            if not has_cycle(graph, everyone & ~bits(chosen)):
                return bits(chosen)
    raise AssertionError("unreachable: without any node there is no cycle")


def grow_breakers(graph: Graph, breakers: int, new: int) -> int:
    """`fewest_breakers` after adding node `new` to a graph whose minimum was `breakers`.

    One more node raises the minimum by at most one (add the node itself), so only sets of
    the old size need trying; usually the old set still works."""
    everyone = bits(graph)
    if not has_cycle(graph, everyone & ~breakers):
        return breakers
    for chosen in combinations(sorted(graph), breakers.bit_count()):
        if not has_cycle(graph, everyone & ~bits(chosen)):
            return bits(chosen)
    return breakers | 1 << new


def block_graph(olds: dict[int, Segment], news: dict[int, Segment]) -> Graph:
    """olds: blocker per node; news: the new segment of every enabling write."""
    return {a: bits(b for b, new in news.items() if b != a and b in olds and overlaps(old, new))
            for a, old in olds.items()}


# --------------------------------------------------------------------------- the search


@dataclass
class Best:
    key: tuple[int, int]  # (writes, of which "disable first")
    choice: list[int]  # per segment of rest: the M slot it overwrites, or FREE


class Search:
    """Branch and bound over where each segment of `rest` goes (see the module docstring)."""

    def __init__(self, problem: Frame) -> None:
        self.problem = problem
        self.fixed = sum(problem.changes(n, problem.finals[n]) for n in problem.pinned)
        news = [as_segment(w) for w in problem.rest]
        # pinned enabling writes: nodes whatever the search decides, if they replace
        # an enabled (or unknown) old segment
        pins = {n: final for n, final in problem.finals.items() if n in problem.pinned
                and final.enabled and problem.changes(n, final)}
        olds = {n: old for n in [*pins, *problem.must_change]
                if (old := blocker(problem.current[n])) is not None}
        self.hits_rest = {n: sum(1 << i for i, new in enumerate(news) if overlaps(old, new))
                          for n, old in olds.items()}
        # in time order, like `rest`: the first leaf then tends to keep the order of the
        # windows, and such overwrites never block each other in a cycle of two
        self.by_time = sorted(problem.must_change, key=lambda n: minutes(olds[n]))
        self.in_place = {i: [n for n in self.by_time if self.hits_rest[n] >> i & 1]
                         for i in range(len(news))}
        self.base = block_graph({n: olds[n] for n in pins if n in olds}, pins)
        self.hits_pins = {n: bits(p for p in self.base if p != n and overlaps(old, pins[p]))
                          for n, old in olds.items()}
        self.best: Best | None = None
        self.visited = 0

    def run(self) -> Best:
        self.step(0, [], {}, self.base, fewest_breakers(self.base), 0)
        assert self.best is not None  # noqa: S101 - a leaf is always reachable (room checked)
        return self.best

    def candidates(self, index: int, placed: dict[int, int], on_free: int) -> list[int]:
        """Overwrites of slots whose old window overlaps the segment ("edit in place") first,
        then the other overwrites, then a free slot."""
        in_place = [n for n in self.in_place[index] if n not in placed]
        others = [n for n in self.by_time if n not in placed and n not in in_place]
        room = [FREE] if on_free < len(self.problem.free) else []
        return in_place + others + room

    def lower_bound(self, index: int, overwrites: int, breakers: int) -> tuple[int, int]:
        """Every remaining segment overwriting a remaining M slot, with no new cycle."""
        left = len(self.problem.rest) - index
        could = min(left, len(self.problem.must_change) - overwrites)
        writes = (self.fixed + len(self.problem.rest) + len(self.problem.must_change)
                  - overwrites - could + breakers.bit_count())
        return writes, breakers.bit_count()

    def grown(self, graph: Graph, placed: dict[int, int], slot: int, index: int) -> Graph:
        """The graph with rest segment `index` overwriting must-change slot `slot`."""
        result = {node: waiting | (1 << slot if self.hits_rest[node] >> index & 1 else 0)
                  for node, waiting in graph.items()}
        result[slot] = (self.hits_pins[slot]
                        | bits(n for n, i in placed.items() if self.hits_rest[slot] >> i & 1))
        return result

    def step(self, index: int, choice: list[int], placed: dict[int, int], graph: Graph,
             breakers: int, on_free: int) -> None:
        """placed: must-change slot -> index of the rest segment overwriting it."""
        self.visited += 1
        lower = self.lower_bound(index, len(placed), breakers)
        if self.best is not None and (lower >= self.best.key or self.visited > SEARCH_LIMIT):
            return
        if index == len(self.problem.rest):
            self.best = Best(lower, list(choice))  # at a leaf the bound is the exact cost
            return
        for slot in self.candidates(index, placed, on_free):
            if slot == FREE:  # a free slot blocks nothing: the graph does not change
                self.step(index + 1, [*choice, FREE], placed, graph, breakers, on_free + 1)
                continue
            bigger = self.grown(graph, placed, slot, index)
            self.step(index + 1, [*choice, slot], {**placed, slot: index}, bigger,
                      grow_breakers(bigger, breakers, slot), on_free)


# --------------------------------------------------------------------------- the plan


@dataclass
class Layout:
    finals: dict[int, Segment]  # every slot that is written, and the kept ones
    wanted_at: dict[int, WantedSegment]
    written: list[int]  # slots whose final content differs from the current one


def layout(problem: Frame, choice: Sequence[int]) -> Layout:
    finals = dict(problem.finals)
    wanted_at = dict(problem.wanted_at)
    free = list(problem.free)
    for segment, slot in zip(problem.rest, choice, strict=True):
        if slot == FREE:
            slot = pick_free(problem, free, segment)
            free.remove(slot)
        finals[slot] = as_segment(segment)
        wanted_at[slot] = segment
    for slot in problem.must_change:
        if slot not in finals:
            old = problem.current[slot]
            assert old is not None  # noqa: S101 - must-change slots are known
            finals[slot] = switched_off(old)  # keep its times: the smallest change
    written = sorted(n for n, final in finals.items() if problem.changes(n, final))
    return Layout(finals, wanted_at, written)


def pick_free(problem: Frame, free: list[int], segment: WantedSegment) -> int:
    """Any free slot costs the same; one holding this very window (off) reads best."""
    for slot in free:
        old = problem.current[slot]
        if old is not None and (old.mode, old.start, old.end) == (
                segment.mode, segment.start, segment.end):
            return slot
    return free[0]


def order(problem: Frame, plan: Layout) -> list[SlotWrite]:
    """Disabling writes first (by slot), then enabling writes in an order the block graph
    allows (the lowest ready slot next), after disabling the fewest breakers first."""
    news = {n: plan.finals[n] for n in plan.written if plan.finals[n].enabled}
    olds = {n: old for n in news if (old := blocker(problem.current[n])) is not None}
    breakers = fewest_breakers(block_graph(olds, news))
    first: list[SlotWrite] = []
    for slot in plan.written:
        final = plan.finals[slot]
        if not final.enabled:
            first.append(SlotWrite(slot, final, "disable", plan.wanted_at.get(slot)))
        elif breakers >> slot & 1:
            old = problem.current[slot]
            # an unknown old content is not repeated: the pinned values go out, switched off
            first.append(SlotWrite(slot, switched_off(old if old is not None else final),
                                   "disable-first"))
    first.sort(key=lambda write: write.slot)
    blocking = {n: old for n, old in olds.items() if not breakers >> n & 1}
    waiting = {slot: {b for b, old in blocking.items() if b != slot and overlaps(old, new)}
               for slot, new in news.items()}
    then: list[SlotWrite] = []
    while waiting:
        ready = min(slot for slot, before in waiting.items() if not before)
        then.append(SlotWrite(ready, plan.finals[ready], "set", plan.wanted_at.get(ready)))
        del waiting[ready]
        for before in waiting.values():
            before.discard(ready)
    return first + then


def plan_slots(current: dict[int, Segment | None], wanted: Iterable[WantedSegment],
               slots: int = 9) -> list[SlotWrite]:
    """The fewest slot writes, in a safe order, that give the slots the wanted segments."""
    problem = frame(current, list(wanted), slots)
    return order(problem, layout(problem, Search(problem).run().choice))
