"""An independent brute force for the MIN minimality property: breadth-first search over
single-slot writes in which every write is accepted. It shares no code with the planner.

Model (the cloud's rule, spec 3.3): writing an enabled segment into a slot is accepted
only if no *other* slot holds an enabled segment overlapping it (minutes inclusive);
writing a disabled one is always accepted.

Candidate writes (restricted sensibly, as the brief allows):
- a known slot that is not pinned: any wanted enabled unpinned segment, or "disable,
  keeping its times" when it is enabled;
- a pinned slot: its exact wanted content, or that content switched off, or "disable,
  keeping its times" when it is known and enabled;
- an unknown slot that is not pinned is never written (and is ignored by the rule, as
  nothing is known about it); an unknown pinned slot counts as enabled all day until
  it is written (the planner's documented assumption).
Goal: pinned slots hold exactly their wanted content; the enabled contents of the other
known slots are exactly the unpinned enabled wanted segments, each once.

Disabled unpinned slots are all alike (their stale times matter to nothing), so they are
one token, and a wanted segment is only tried in the lowest-numbered such slot.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from reconciler.model import Segment, WantedSegment

OFF = "off"  # a known, disabled, unpinned slot
UNKNOWN = "unknown"
Content = Segment | str
State = tuple[Content, ...]


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _overlap(a: Segment, b: Segment) -> bool:
    return _minutes(a.start) <= _minutes(b.end) and _minutes(b.start) <= _minutes(a.end)


@dataclass
class Puzzle:
    start: State
    pinned: dict[int, Segment]  # slot index 0..8 -> exact content
    loose: tuple[Segment, ...]  # unpinned enabled wanted segments

    @classmethod
    def of(cls, slots: dict[int, Segment | None], wanted: Sequence[WantedSegment]) -> Puzzle:
        pinned = {w.slot - 1: Segment(w.mode, w.start, w.end, w.enabled)
                  for w in wanted if w.slot is not None}
        loose = tuple(Segment(w.mode, w.start, w.end, True)
                      for w in wanted if w.slot is None and w.enabled)
        start: list[Content] = []
        for index in range(9):
            old = slots.get(index + 1)
            if old is None:
                start.append(UNKNOWN)
            elif index in pinned or old.enabled:
                start.append(old)
            else:
                start.append(OFF)
        return cls(tuple(start), pinned, loose)

    def goal(self, state: State) -> bool:
        if any(state[index] != content for index, content in self.pinned.items()):
            return False
        held = sorted((c.mode, c.start, c.end) for index, c in enumerate(state)
                      if index not in self.pinned and isinstance(c, Segment) and c.enabled)
        return held == sorted((s.mode, s.start, s.end) for s in self.loose)

    def accepted(self, state: State, index: int, new: Content) -> bool:
        if not isinstance(new, Segment) or not new.enabled:
            return True
        for other, content in enumerate(state):
            if other == index:
                continue
            if content == UNKNOWN and other in self.pinned:
                return False  # may hold anything until it is overwritten
            if isinstance(content, Segment) and content.enabled and _overlap(content, new):
                return False
        return True

    def writes(self, state: State) -> Iterator[tuple[int, Content]]:
        first_off = next((i for i, c in enumerate(state) if c == OFF), None)
        for index, content in enumerate(state):
            options: list[Content] = []
            if index in self.pinned:
                exact = self.pinned[index]
                options += [exact, Segment(exact.mode, exact.start, exact.end, False)]
                if isinstance(content, Segment) and content.enabled:
                    options.append(Segment(content.mode, content.start, content.end, False))
            elif content == UNKNOWN:
                continue
            else:
                if content != OFF or index == first_off:
                    options += list(self.loose)
                if isinstance(content, Segment) and content.enabled:
                    options.append(OFF)
            for new in dict.fromkeys(options):
                if new != content and self.accepted(state, index, new):
                    yield index, new


def fewest_writes(slots: dict[int, Segment | None], wanted: Sequence[WantedSegment],
                  limit: int) -> int | None:
    """The length of the shortest accepted write sequence reaching the goal, or None when
    there is none of at most `limit` writes."""
    puzzle = Puzzle.of(slots, wanted)
    frontier = [puzzle.start]
    seen = {puzzle.start}
    for depth in range(limit + 1):
        if any(puzzle.goal(state) for state in frontier):
            return depth
        if depth == limit:
            return None
        following = []
        for state in frontier:
            for index, new in puzzle.writes(state):
                successor = (*state[:index], new, *state[index + 1:])
                if successor not in seen:
                    seen.add(successor)
                    following.append(successor)
        frontier = following
    return None


# --------------------------------------------------------------------------- self-checks


def _seg(start: str, end: str, enabled: bool = True, mode: str = "battery_first") -> Segment:
    return Segment(mode, start, end, enabled)


def test_brute_force_counts_a_cycle() -> None:
    off = _seg("00:00", "00:00", False, "load_first")
    slots: dict[int, Segment | None] = dict.fromkeys(range(1, 10), off)
    slots |= {1: _seg("01:00", "02:00"), 2: _seg("03:00", "04:00")}
    wanted = [WantedSegment("grid_first", "03:30", "03:45", slot=1),
              WantedSegment("grid_first", "01:30", "01:45", slot=2)]
    assert fewest_writes(slots, wanted, 2) is None
    assert fewest_writes(slots, wanted, 5) == 3


def test_brute_force_reuses_and_ignores_stale_times() -> None:
    stale = _seg("10:00", "12:00", False, "grid_first")
    slots: dict[int, Segment | None] = dict.fromkeys(range(1, 10), stale)
    slots[5] = _seg("01:00", "02:00")
    assert fewest_writes(slots, [WantedSegment("battery_first", "01:00", "02:00")], 3) == 0
    assert fewest_writes(slots, [], 3) == 1
    # overwrite slot 5
    assert fewest_writes(slots, [WantedSegment("grid_first", "10:00", "12:00")], 3) == 1
