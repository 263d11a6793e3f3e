"""International partners: UN member states, cooperation cycles, projects and agreements."""

from __future__ import annotations

from spacehome.domain.record import StationRecord

from .serialize import JSON, fact, when


def partners_view(record: StationRecord) -> JSON:
    members = [c for c in record.countries.values() if c.un_member]
    involved: dict[str, set[str]] = {}
    for project in record.projects:
        for code in project.countries.value or ():
            involved.setdefault(code, set()).add(project.acronym or project.id)
    for agreement in record.agreements:
        if agreement.country:
            involved.setdefault(agreement.country, set())
    for program in record.programs:
        involved.setdefault(program.country, set())
    return {
        "un_member_states": len(members),
        "eligible": "every UN member state may answer the UNOOSA-CMSA announcements",
        "countries": [
            {
                "code": code,
                "name": record.country_name(code),
                "un_member": record.countries[code].un_member,
                "projects": sorted(projects),
                "agreements": [a.id for a in record.agreements if a.country == code],
                "astronaut_programs": [p.id for p in record.programs if p.country == code],
            }
            for code, projects in sorted(
                involved.items(), key=lambda kv: record.country_name(kv[0])
            )
        ],
        "agreements": [
            {
                "id": a.id,
                "partner": a.partner,
                "country": a.country or None,
                "title": a.title,
                "signed": when(a.signed),
                "place": a.place or None,
                "summary": a.summary,
                "sources": list(a.sources),
            }
            for a in record.agreements
        ],
        "astronaut_programs": [
            {
                "id": p.id,
                "name": p.name,
                "country": p.country,
                "agreement": p.agreement or None,
                "milestones": [{"when": when(w), "what": what} for w, what in p.milestones],
                "candidates": [{"name": fact(c.name), "status": c.status} for c in p.candidates],
                "flight": fact(p.flight),
                "flown_by": list(p.flown_by),
                "sources": list(p.sources),
            }
            for p in record.programs
        ],
    }


def projects_view(record: StationRecord) -> JSON:
    return {
        "cycles": [
            {
                "id": c.id,
                "name": c.name,
                "announced": when(c.announced),
                "proposals_due": when(c.proposals_due),
                "modalities": list(c.modalities),
                "proposals_received": fact(c.proposals_received),
                "proposing_countries": fact(c.proposing_countries),
                "shortlisted": fact(c.shortlisted),
                "results_announced": when(c.results_announced),
                "results_venue": c.results_venue,
                "projects_selected": fact(c.projects_selected),
                "selected_unconditionally": fact(c.selected_unconditionally),
                "selected_conditionally": fact(c.selected_conditionally),
                "selected_countries": list(c.selected_countries),
                "selected_entities": fact(c.selected_entities),
                "sources": list(c.sources),
                "notes": list(c.notes),
            }
            for c in record.cycles
        ],
        "projects": [
            {
                "id": p.id,
                "number": p.number,
                "cycle": p.cycle,
                "title": fact(p.title),
                "acronym": p.acronym or None,
                "discipline": p.discipline or None,
                "countries": fact(p.countries),
                "country_names": [record.country_name(c) for c in p.countries.value or ()],
                "institutions": [
                    {"name": i.name, "country": i.country, "role": i.role} for i in p.institutions
                ],
                "selection": fact(p.selection),
                "status": fact(p.status),
                "sources": list(p.sources),
            }
            for p in record.projects
        ],
    }
