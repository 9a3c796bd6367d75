"""Choosing MIN slots and the order of writes: the fewest writes, every step valid.

The cloud rejects a write that leaves two enabled segments overlapping (spec 3.3), so the
plan is a sequence in which every intermediate state is valid. Why this is minimal:

1. Every slot whose final content differs from its current content costs exactly one
   write; a slot that already holds a wanted segment keeps it (moving it could only add
   writes), and pinned segments go to their slot.
2. The other wanted segments go to slots that must change anyway (enabled slots holding
   nothing wanted, which would otherwise cost a disabling write of their own), or else to
   disabled slots. Each placement on a must-change slot saves a write.
3. But such an overwrite is blocked while another slot's old enabled content overlaps the
   new segment. Blocks form a graph; a cycle (two overwrites each waiting for the other)
   costs one extra write: disabling one slot of the cycle first. The fewest extra writes
   is the smallest set of slots whose early disabling leaves the graph acyclic.
4. So the cost of an assignment is (slots that change) + (that smallest set). A
   branch-and-bound search over assignments of step 2 finds the minimum; ties are broken
   towards lower slot numbers so plans are reproducible.
Disabling writes never fail and only remove constraints, so they all go first; the
enabling writes follow in an order the block graph allows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

from reconciler.model import Segment, WantedSegment
from reconciler.timeofday import to_minutes


class NoRoomError(ValueError):
    """More segments than known slots (unreadable slots are never overwritten)."""


@dataclass(frozen=True)
class SlotWrite:
    slot: int
    content: Segment
    reason: str  # "set" | "disable" | "disable-first"
    wanted: WantedSegment | None = None


def overlaps(a: Segment, b: Segment) -> bool:
    return to_minutes(a.start) <= to_minutes(b.end) and to_minutes(b.start) <= to_minutes(a.end)


def same_window(segment: Segment | None, wanted: WantedSegment) -> bool:
    return (segment is not None and segment.mode == wanted.mode
            and segment.start == wanted.start and segment.end == wanted.end)


def as_segment(wanted: WantedSegment) -> Segment:
    return Segment(wanted.mode, wanted.start, wanted.end, wanted.enabled)


def needs_write(current: Segment | None, final: Segment, exact: bool) -> bool:
    """Disabled slots whose stale times differ are left alone unless `exact` (pinned)."""
    if current is None:
        return True
    if final.enabled or exact:
        return current != final
    return current.enabled


def _acyclic(nodes: Iterable[int], edges: dict[int, set[int]], removed: frozenset[int]) -> bool:
    state: dict[int, int] = {}  # 1 visiting, 2 done

    def visit(node: int) -> bool:
        state[node] = 1
        if node not in removed:
            for after in edges.get(node, ()):
                mark = state.get(after)
                if mark == 1 or (mark is None and not visit(after)):
                    return False
        state[node] = 2
        return True

    return all(state.get(node) == 2 or visit(node) for node in nodes)


def smallest_breakers(nodes: list[int], edges: dict[int, set[int]]) -> frozenset[int]:
    """Fewest slots to disable first so that no blocking cycle is left."""
    candidates = sorted(node for node in nodes if edges.get(node))
    for size in range(len(candidates) + 1):
        for chosen in combinations(candidates, size):
            if _acyclic(nodes, edges, frozenset(chosen)):
                return frozenset(chosen)
    return frozenset(candidates)  # unreachable: removing every source leaves no edge


@dataclass
class Layout:
    finals: dict[int, Segment]
    exact: set[int]  # pinned slots: every field is wanted, disabled ones too
    wanted_at: dict[int, WantedSegment]


def evaluate(current: dict[int, Segment | None], layout: Layout
             ) -> tuple[int, list[int], dict[int, set[int]], frozenset[int]]:
    """(cost, written slots, block graph, breakers) of one complete layout."""
    written = [slot for slot, final in sorted(layout.finals.items())
               if needs_write(current.get(slot), final, slot in layout.exact)]
    enabling = [slot for slot in written if layout.finals[slot].enabled]
    edges: dict[int, set[int]] = {}
    for before in enabling:
        old = current.get(before)
        if old is None or not old.enabled:
            continue
        for after in enabling:
            if after != before and overlaps(old, layout.finals[after]):
                edges.setdefault(before, set()).add(after)
    breakers = smallest_breakers(enabling, edges) if edges else frozenset()
    return len(written) + len(breakers), written, edges, breakers


def order(current: dict[int, Segment | None], layout: Layout, written: list[int],
          edges: dict[int, set[int]], breakers: frozenset[int]) -> list[SlotWrite]:
    writes: list[SlotWrite] = []
    for slot in sorted(breakers):
        old = current[slot]
        assert old is not None  # noqa: S101 - breakers are enabled known slots
        writes.append(SlotWrite(slot, Segment(old.mode, old.start, old.end, False),
                                "disable-first"))
    enabling = [slot for slot in written if layout.finals[slot].enabled]
    writes += [SlotWrite(slot, layout.finals[slot], "disable", layout.wanted_at.get(slot))
               for slot in written if not layout.finals[slot].enabled]
    waiting = {slot: {b for b in enabling if b not in breakers and slot in edges.get(b, ())}
               for slot in enabling}
    while waiting:
        ready = min(slot for slot, blockers in waiting.items() if not blockers)
        writes.append(SlotWrite(ready, layout.finals[ready], "set", layout.wanted_at.get(ready)))
        del waiting[ready]
        for blockers in waiting.values():
            blockers.discard(ready)
    return writes


def plan_slots(current: dict[int, Segment | None], wanted: list[WantedSegment],
               slots: int = 9) -> list[SlotWrite]:
    """The ordered slot writes that turn `current` into the wanted segments."""
    finals: dict[int, Segment] = {}
    wanted_at: dict[int, WantedSegment] = {}
    exact: set[int] = set()
    for segment in wanted:
        if segment.slot is not None:
            finals[segment.slot] = as_segment(segment)
            wanted_at[segment.slot] = segment
            exact.add(segment.slot)
    rest: list[WantedSegment] = []
    for segment in (s for s in wanted if s.slot is None and s.enabled):
        keep = next((slot for slot in range(1, slots + 1) if slot not in finals
                     and (cur := current.get(slot)) is not None and cur.enabled
                     and same_window(cur, segment)), None)
        if keep is None:
            rest.append(segment)
        else:
            finals[keep] = as_segment(segment)
            wanted_at[keep] = segment
    open_slots = [slot for slot in range(1, slots + 1)
                  if slot not in finals and current.get(slot) is not None]
    must_change = [slot for slot in open_slots if current[slot].enabled]  # type: ignore[union-attr]
    disabled = [slot for slot in open_slots if slot not in must_change]
    if len(rest) > len(open_slots):
        raise NoRoomError(f"{len(rest)} more segments need a slot but only {len(open_slots)} "
                          "known slots are free (unreadable slots are never overwritten)")

    best: tuple[int, Layout, list[int], dict[int, set[int]], frozenset[int]] | None = None
    fixed_cost = sum(needs_write(current.get(s), f, s in exact) for s, f in finals.items())

    def leaf(choice: list[int | None]) -> None:
        nonlocal best
        layout = Layout(dict(finals), set(exact), dict(wanted_at))
        free_disabled = iter(disabled)
        for segment, slot in zip(rest, choice, strict=True):
            target = slot if slot is not None else next(free_disabled)
            layout.finals[target] = as_segment(segment)
            layout.wanted_at[target] = segment
        for slot in must_change:
            if slot not in layout.finals:
                old = current[slot]
                assert old is not None  # noqa: S101 - must_change slots are known
                layout.finals[slot] = Segment(old.mode, old.start, old.end, False)
        cost, written, edges, breakers = evaluate(current, layout)
        if best is None or cost < best[0]:
            best = (cost, layout, written, edges, breakers)

    def search(index: int, choice: list[int | None], used: set[int], in_disabled: int) -> None:
        placed_on_must = len(used)
        left = len(rest) - index
        bound = fixed_cost + len(rest) + len(must_change) - placed_on_must - min(
            left, len(must_change) - placed_on_must)
        if best is not None and bound >= best[0]:
            return
        if index == len(rest):
            leaf(choice)
            return
        for slot in must_change:
            if slot not in used:
                search(index + 1, [*choice, slot], used | {slot}, in_disabled)
        if in_disabled < len(disabled):
            search(index + 1, [*choice, None], used, in_disabled + 1)

    search(0, [], set(), 0)
    assert best is not None  # noqa: S101 - the search always reaches a leaf
    _, layout, written, edges, breakers = best
    return order(current, layout, written, edges, breakers)
