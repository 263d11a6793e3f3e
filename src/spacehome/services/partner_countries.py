"""The partner countries of the station's international program, for the dashboard's map.

One public read model, :func:`partner_countries_view`: every country that the program links to
the station, with what links it:

* **projects** — the stored projects (the project service's rows: the first UNOOSA-CMSA cycle's
  reference projects and any project created since), by the countries of their teams, each with
  its state exactly as the project service holds it (its public view: no owner, no team of a
  partner's project beyond what ``GET /projects`` shows everyone);
* **agreements** — the station record's cooperation agreements with that country;
* **astronaut programs** — the record's programs that bring that country's (or region's)
  astronauts to the station.

Nothing here is invented: a project whose countries the sources do not give (the first cycle's
unidentified ninth project) is counted in ``projects_without_countries``, not put on the map; an
agreement with an international organisation (no country) is listed under ``organisations``.
Country names and the ISO 3166-1 numeric codes (the ids of the world-atlas map, zero-padded to
three digits, e.g. ``"404"`` for Kenya) come from pycountry.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

import pycountry
from sqlalchemy import Engine

from spacehome.domain.record import StationRecord
from spacehome.persistence.engine import open_database
from spacehome.persistence.project_store import MAX_PAGE_SIZE, ProjectStore, StoredProject
from spacehome.services.projects import public_view
from spacehome.services.serialize import when
from spacehome.services.station import default_record

JSON = dict[str, Any]

#: The country that operates the station (through CMSA): its institutions take part in projects,
#: but it is the host, not a partner; the view marks it.
HOST: Final = "CN"


def iso_codes(alpha2: str) -> tuple[str, str | None]:
    """(name, ISO 3166-1 numeric code zero-padded to three digits, or None) of an alpha-2 code."""
    country = pycountry.countries.get(alpha_2=alpha2)
    if country is None:
        return alpha2, None
    return country.name, str(country.numeric).zfill(3)


def _project_entry(stored: StoredProject) -> JSON:
    view = public_view(stored)
    lead = view["lead"]
    return {
        "id": view["id"],
        "title": view["title"],
        "acronym": view["acronym"],
        "state": view["state"],
        "selection": view["selection"],
        "cycle": view["cycle"],
        "lead_institution": None if lead is None else lead["name"],
        "lead_country": None if lead is None else lead["country"],
        "reference": view["reference"],
    }


def _all_projects(store: ProjectStore) -> Iterator[StoredProject]:
    offset = 0
    while True:
        page = store.list_projects(owner_id=None, limit=MAX_PAGE_SIZE, offset=offset)
        yield from page.items
        offset += len(page.items)
        if not page.items or offset >= page.total:
            return


def partner_countries_view(engine: Engine, record: StationRecord) -> JSON:
    """Every country linked to the station by a stored project, an agreement or an astronaut
    program, by name; with per-country project counts and states (see the module docstring)."""
    projects = list(_all_projects(ProjectStore(engine)))
    by_country: dict[str, list[JSON]] = {}
    without: list[JSON] = []
    for stored in projects:
        team_countries = stored.project.countries
        entry = _project_entry(stored)
        if not team_countries:
            without.append(entry)
            continue
        for code in team_countries:
            by_country.setdefault(code, []).append(entry)
    agreements: dict[str, list[JSON]] = {}
    organisations: list[JSON] = []
    for a in record.agreements:
        item = {
            "id": a.id,
            "partner": a.partner,
            "title": a.title,
            "signed": when(a.signed),
            "sources": list(a.sources),
        }
        if a.country:
            agreements.setdefault(a.country, []).append(item)
        else:
            organisations.append(item)
    programs: dict[str, list[JSON]] = {}
    for p in record.programs:
        programs.setdefault(p.country, []).append({"id": p.id, "name": p.name})

    codes = set(by_country) | set(agreements) | set(programs)
    countries: list[JSON] = []
    for code in codes:
        name, numeric = iso_codes(code)
        listed = by_country.get(code, [])
        states: dict[str, int] = {}
        for entry in listed:
            states[entry["state"]] = states.get(entry["state"], 0) + 1
        countries.append(
            {
                "alpha2": code,
                "numeric": numeric,
                "name": name,
                "host": code == HOST,
                "un_member": code in record.countries and record.countries[code].un_member,
                "project_count": len(listed),
                "projects_led": sum(1 for e in listed if e["lead_country"] == code),
                "states": dict(sorted(states.items())),
                "projects": listed,
                "agreements": agreements.get(code, []),
                "astronaut_programs": programs.get(code, []),
            }
        )
    countries.sort(key=lambda c: (c["name"], c["alpha2"]))
    return {
        "countries": countries,
        "total_projects": len(projects),
        "projects_without_countries": without,
        "organisations": organisations,
        "host": HOST,
        "sources": "projects: the project service (GET /projects); agreements and astronaut "
        "programs: the station record (cooperation.toml); names and numeric codes: ISO 3166-1",
    }


class PartnerCountries:
    """The read model on one database and the station record."""

    def __init__(self, engine: Engine, record: StationRecord) -> None:
        self.engine = engine
        self.record = record

    @classmethod
    def open(cls, database_url: str | None = None) -> PartnerCountries:
        return cls(open_database(database_url), default_record())

    def view(self) -> JSON:
        return partner_countries_view(self.engine, self.record)


__all__ = ["HOST", "PartnerCountries", "iso_codes", "partner_countries_view"]
