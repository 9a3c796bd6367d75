"""An independent search for the fewest MIN writes (iterative deepening over single slot
writes, every step valid), written without the planner's code, to check it."""

from __future__ import annotations

from reconciler.model import Segment, WantedSegment
from reconciler.timeofday import to_minutes

Slot = tuple[str, int, int, bool] | None


def _slot(segment: Segment | None) -> Slot:
    if segment is None:
        return None
    return (segment.mode, to_minutes(segment.start), to_minutes(segment.end), segment.enabled)


def minimum_writes(current: dict[int, Segment | None], wanted: list[WantedSegment],
                   limit: int) -> int | None:
    """The fewest writes (at most `limit`) reaching exactly the wanted enabled segments."""
    goal = {(w.mode, to_minutes(w.start), to_minutes(w.end)) for w in wanted if w.enabled}
    start = tuple(_slot(current.get(n)) for n in range(1, 10))

    def enabled(state: tuple[Slot, ...]) -> list[tuple[int, Slot]]:
        return [(i, s) for i, s in enumerate(state) if s is not None and s[3]]

    def estimate(state: tuple[Slot, ...]) -> int:
        on = {(s[0], s[1], s[2]) for _, s in enabled(state) if s}
        return max(len(goal - on), len(on - goal))

    def valid(state: tuple[Slot, ...], index: int, new: Slot) -> bool:
        if new is None or not new[3]:
            return True
        return all(not (new[1] <= s[2] and s[1] <= new[2])
                   for i, s in enabled(state) if i != index and s)

    def moves(state: tuple[Slot, ...]) -> list[tuple[int, Slot]]:
        on = {(s[0], s[1], s[2]) for _, s in enabled(state) if s}
        result: list[tuple[int, Slot]] = []
        first_off = next((i for i, s in enumerate(state) if s is not None and not s[3]), None)
        for i, s in enumerate(state):
            if s is None:
                continue
            if s[3]:
                result.append((i, (s[0], s[1], s[2], False)))
            if s[3] or i == first_off:  # disabled slots are interchangeable
                result += [(i, (m, a, b, True)) for m, a, b in goal - on]
        return result

    def search(state: tuple[Slot, ...], depth: int, bound: int) -> bool:
        if estimate(state) == 0:
            return True
        if depth + estimate(state) > bound:
            return False
        for index, new in moves(state):
            if valid(state, index, new):
                following = (*state[:index], new, *state[index + 1:])
                if search(following, depth + 1, bound):
                    return True
        return False

    for bound in range(estimate(start), limit + 1):
        if search(start, 0, bound):
            return bound
    return None
