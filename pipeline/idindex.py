"""A compact set of string keys: 8 bytes per key, for duplicate checks over large files."""

from __future__ import annotations

from array import array


class IdIndex:
    """A compact set of ids: 8 bytes per id in an open-addressing table of 64-bit hashes.

    A Python set of a million id strings costs ~60 MB; this costs ~16 MB. A hash match
    is only a suspicion: the caller confirms it against the file before reporting it.
    """

    __slots__ = ("_slots", "_mask", "_count")

    def __init__(self) -> None:
        self._slots = array("Q", bytes(8 * 1024))
        self._mask = 1023
        self._count = 0

    def add(self, key: str) -> bool:
        """Add a key; False if an equal hash was already present (a possible duplicate)."""
        digest = (hash(key) & 0xFFFF_FFFF_FFFF_FFFF) or 1  # 0 marks an empty slot
        slots, mask = self._slots, self._mask
        index = digest & mask
        while True:
            found = slots[index]
            if found == 0:
                break
            if found == digest:
                return False
            index = (index + 1) & mask
        slots[index] = digest
        self._count += 1
        if self._count * 2 > mask:
            self._grow()
        return True

    def _grow(self) -> None:
        old = self._slots
        self._mask = mask = len(old) * 2 - 1
        self._slots = slots = array("Q", bytes(8 * (mask + 1)))
        for digest in old:
            if digest:
                index = digest & mask
                while slots[index]:
                    index = (index + 1) & mask
                slots[index] = digest
