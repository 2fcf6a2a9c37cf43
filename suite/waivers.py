"""Waivers: a deviation an instructor accepts on purpose, with a reason and an end (``--waivers FILE``).

A YAML file, a list of entries::

    - check: dir.data                  # a check id, or a pattern (cis.*)
      hosts: [node-0]                  # optional: the hosts as the run names them; every host without it
      justification: "0755 accepted for this exercise"   # required
      expires: 2027-01-31              # optional: applies through the end of that day (UTC)

A check a waiver covers that fails is reported as waived, with the justification, and does not fail the run.
After its ``expires`` day the waiver no longer applies: the check fails, and its failure says the waiver
expired. A file that names no known check, or an entry without a justification, stops the run in one line
before anything runs.
"""

from __future__ import annotations

import datetime
import fnmatch
from dataclasses import dataclass
from pathlib import Path


class WaiverError(ValueError):
    """The waivers file cannot be used: one line says why."""


@dataclass(frozen=True)
class Waiver:
    check: str
    justification: str
    hosts: tuple[str, ...] = ()
    expires: datetime.date | None = None

    def covers(self, check_id: str, host: str) -> bool:
        return fnmatch.fnmatchcase(check_id, self.check) and (not self.hosts or host in self.hosts)

    def active(self, today: datetime.date) -> bool:
        return self.expires is None or today <= self.expires

    def until(self) -> str:
        return f" (until {self.expires.isoformat()})" if self.expires else ""


def _date(value, where: str) -> datetime.date | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise WaiverError(f"{where}: expires {value!r} is not a date (YYYY-MM-DD)") from None


def load(path: str, known_ids: set[str]) -> list[Waiver]:
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text())
    except OSError as exc:
        raise WaiverError(f"--waivers {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise WaiverError(f"--waivers {path}: not YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, list):
        raise WaiverError(f"--waivers {path}: a list of waivers is expected (- check: ID, justification: ...)")
    out = []
    for i, entry in enumerate(data, 1):
        where = f"--waivers {path}: entry {i}"
        if not isinstance(entry, dict):
            raise WaiverError(f"{where}: a mapping with check and justification is expected")
        unknown = set(entry) - {"check", "hosts", "justification", "expires"}
        if unknown:
            raise WaiverError(f"{where}: unknown key {sorted(unknown)[0]!r} (check, hosts, justification, expires)")
        check = str(entry.get("check") or "").strip()
        if not check:
            raise WaiverError(f"{where}: no check (a check id: python -m checks list)")
        if not any(fnmatch.fnmatchcase(cid, check) for cid in known_ids):
            raise WaiverError(f"{where}: {check!r} names no known check (python -m checks list)")
        justification = str(entry.get("justification") or "").strip()
        if not justification:
            raise WaiverError(f"{where}: {check} has no justification (a waiver says why it is accepted)")
        hosts = entry.get("hosts") or []
        if isinstance(hosts, str):
            hosts = [hosts]
        out.append(Waiver(check, justification, tuple(str(h) for h in hosts), _date(entry.get("expires"), where)))
    return out


def today() -> datetime.date:
    return datetime.datetime.now(datetime.timezone.utc).date()


def find(waivers: list[Waiver], check_id: str, host: str, on: datetime.date | None = None
         ) -> tuple[Waiver | None, Waiver | None]:
    """(the active waiver covering the check on this host, else None; an expired one covering it, else None)."""
    on = on or today()
    covering = [w for w in waivers if w.covers(check_id, host)]
    active = next((w for w in covering if w.active(on)), None)
    expired = next((w for w in covering if not w.active(on)), None)
    return active, expired
