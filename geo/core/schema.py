"""The data model: the kinds of input, their canonical columns and vocabularies.

Everything downstream (validation, the store, the engine, the dashboard) speaks
these column names, so a housing export and a police.uk file become the same
thing once ingested. Declaring the model as data lets the store build its
tables, the validator its checks and the docs their tables from one source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

#: ``instant``: a moment in time, stored as UTC text of one fixed width (:data:`INSTANT_FORMAT`).
DType = Literal["str", "float", "int", "month", "date", "instant", "geometry"]

WGS84 = "EPSG:4326"

#: How an ``instant`` column is stored: UTC, to the microsecond, always 27 characters. One width and one zone
#: make text order time order on every backend (``2024-05-01T09:00:00.000000Z``), and text round-trips exactly
#: where a database's own timestamp type would not (SQLite has none; PostgreSQL's would shift with a session's zone).
INSTANT_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
BNG = "EPSG:27700"

#: Loose box around the United Kingdom mainland and islands (Great Britain plus
#: Northern Ireland, whose force also publishes on police.uk). Points outside it
#: are certainly wrong; finer checks belong to the study area.
UK_BOUNDS = {"lat_min": 49.8, "lat_max": 60.95, "lng_min": -8.7, "lng_max": 1.9}

#: Valid ranges of British National Grid coordinates (metres).
BNG_BOUNDS = {"e_min": 0.0, "e_max": 700_000.0, "n_min": 0.0, "n_max": 1_300_000.0}

#: How the coordinates of a point file are read: detected from the values (``auto``), or one
#: system for the whole file (``wgs84`` lat/lng, ``bng`` British National Grid eastings/northings).
CoordMode = Literal["auto", "wgs84", "bng"]
COORD_MODES: tuple[CoordMode, ...] = get_args(CoordMode)


@dataclass(frozen=True)
class Column:
    """One canonical column.

    ``synonyms`` are normalised header spellings (lower case, letters and digits
    only) recognised without an explicit column mapping, so common exports load
    without configuration.
    """

    name: str
    dtype: DType
    required: bool = False
    synonyms: tuple[str, ...] = ()
    help: str = ""


#: The longest ref, code or other key a row may give, in characters. Why a bound, and why this one: these
#: columns are indexed (PostgreSQL refuses an index entry over about 2,700 bytes, failing the whole file), they
#: are compared and shown in every reason; real ones are short (an ONS code is 9 characters, a police.uk crime
#: id 64, a council's case ref rarely 30), so 100 leaves room for any real scheme while a longer value, a
#: pasted paragraph or a whole row in one cell, is refused as that row's error.
MAX_KEY_LENGTH = 100


@dataclass(frozen=True)
class Kind:
    """One kind of dataset.

    ``ref_column`` names the column that identifies a real-world thing (an
    order, a person, an address, a boundary). When set, a ref that comes back
    with different content is rejected instead of silently stored twice.
    ``repeats_are_distinct`` is true only for police.uk-style incidents, where
    identical rows are separate incidents at one anonymised point.

    The other facts validation needs are data here too, so that no check asks
    which kind it is looking at:

    ``bulk``
        A force-year is a million rows: validated column-wise in arrow, once
        per distinct value, rather than row by row in pandas.
    ``coordinates_optional``
        A row without a point is kept (a safeguarded person's home may be
        unknown); for every other point kind blank coordinates reject the row.
    ``mutable_columns``
        Columns left out of a row's identity (its content key): police.uk
        revises outcomes in later downloads of the same month, which must not
        count as new incidents.
    ``key_columns``
        For a kind without a ``ref_column``: the columns that together say
        what a row is about (a count's area, month and agency; a population's
        area and year). They play the ref's part (:attr:`identity`): two rows
        that share them state one fact twice, so a later one is rejected,
        within a file or against the store, unless it is the same row.
    ``area_column``
        The column holding a ward or estate code. An import notes the codes
        that match no stored ward or estate (the rows are stored all the same:
        the boundaries may come later), because such rows take no part in any
        figure per area.
    """

    name: str
    table: str
    columns: tuple[Column, ...]
    ref_column: str | None
    repeats_are_distinct: bool = False
    help: str = ""
    bulk: bool = False
    coordinates_optional: bool = False
    mutable_columns: tuple[str, ...] = ()
    key_columns: tuple[str, ...] = ()
    area_column: str | None = None
    #: Normalised headings of a column that splits each row's figure (a population by sex or age): a file with
    #: one has several rows per identity, and taking whichever comes first would store a part as the whole.
    breakdown_headings: tuple[str, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def bounded_columns(self) -> tuple[str, ...]:
        """The columns held to :data:`MAX_KEY_LENGTH`: the identity and the area code (each indexed or compared)."""
        return tuple(dict.fromkeys([*self.identity, *([self.area_column] if self.area_column else [])]))

    @property
    def identity(self) -> tuple[str, ...]:
        """The columns naming the real-world thing a row is about: the ref, else the ``key_columns``."""
        return (self.ref_column,) if self.ref_column else self.key_columns

    def identity_text(self, values: tuple[object, ...], *, verb: tuple[str, str]) -> str:
        """A row's identity and ``verb`` (singular, plural) as a reason says them.

        ``ref 'CO-1' repeats``, ``code 'E05000001' and year 2022 repeat``; a
        blank key column (an optional agency) is left out of the words.
        """
        pairs = list(zip(self.identity, values, strict=True))
        said = [(c, v) for c, v in pairs if v != ""] or pairs
        parts = [f"{c} {v!r}" if isinstance(v, str) else f"{c} {v}" for c, v in said]
        text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        return f"{text} {verb[len(parts) > 1]}"

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


_LAT = Column("lat", "float", synonyms=("lat", "latitude", "y", "wgs84lat"))
_LNG = Column("lng", "float", synonyms=("lng", "lon", "long", "longitude", "x", "wgs84lon"))
EASTING = Column("easting", "float", synonyms=("easting", "eastings", "bnge", "xcoord"))
NORTHING = Column("northing", "float", synonyms=("northing", "northings", "bngn", "ycoord"))
_REF = Column("ref", "str", synonyms=("ref", "reference", "id", "caseref", "caseid", "crimeid"))
_ADDRESS = Column("address", "str", synonyms=("address", "propertyaddress", "fulladdress"))
_AGENCY = Column("agency", "str", synonyms=("agency", "organisation", "org", "partner"))

INCIDENTS = Kind(
    name="incidents",
    table="incidents",
    ref_column="ref",
    repeats_are_distinct=True,
    bulk=True,
    mutable_columns=("outcome", "context"),
    help="ASB incidents and crimes: police.uk street-level rows or partner case exports.",
    columns=(
        Column(
            "source",
            "str",
            help="Where the row came from, e.g. 'police.uk' or 'housing'.",
        ),
        _REF,
        Column("month", "month", synonyms=("month", "period"), help="YYYY-MM"),
        Column(
            "date",
            "date",
            synonyms=("date", "incidentdate", "reporteddate", "datereported"),
        ),
        Column("time", "str", synonyms=("time", "incidenttime")),
        Column("category", "str", required=True, synonyms=("category", "crimetype", "type")),
        _LAT,
        _LNG,
        Column("location", "str", synonyms=("location", "street", "locationdescription")),
        Column("lsoa_code", "str", synonyms=("lsoacode", "lsoa", "lsoa11cd", "lsoa21cd")),
        Column("lsoa_name", "str", synonyms=("lsoaname",)),
        Column("reported_by", "str", synonyms=("reportedby",)),
        Column("outcome", "str", synonyms=("outcome", "lastoutcomecategory")),
        Column("context", "str", synonyms=("context", "notes")),
    ),
)

CLOSURES = Kind(
    name="closures",
    table="closures",
    ref_column="ref",
    help="Premises closure orders (ASB, Crime and Policing Act 2014 s.80).",
    columns=(
        Column("ref", "str", required=True, synonyms=(*_REF.synonyms, "orderref")),
        _ADDRESS,
        _LAT,
        _LNG,
        Column(
            "granted",
            "date",
            required=True,
            synonyms=("granted", "grantdate", "dategranted"),
        ),
        Column(
            "expiry",
            "date",
            required=True,
            synonyms=("expiry", "expires", "expirydate"),
        ),
        Column("order_type", "str", synonyms=("ordertype", "type", "fullpartial", "scope")),
        Column("status", "str", synonyms=("status",)),
        _AGENCY,
    ),
)

VICTIMS = Kind(
    name="victims",
    table="victims",
    ref_column="ref",
    coordinates_optional=True,
    help="Safeguarded people. The home location is stored for analysis, never displayed.",
    columns=(
        Column("ref", "str", required=True, synonyms=(*_REF.synonyms, "personref")),
        Column(
            "date_safeguarded",
            "date",
            required=True,
            synonyms=("datesafeguarded", "safeguarded", "date"),
        ),
        _LAT,
        _LNG,
        _AGENCY,
        Column("outcome", "str", synonyms=("outcome",)),
    ),
)

#: When partners share only counts of safeguarded people per area and month.
VICTIM_COUNTS = Kind(
    name="victim_counts",
    table="victim_counts",
    ref_column=None,
    key_columns=("area_code", "month", "agency"),
    area_column="area_code",
    help="Counts of safeguarded people per area and month (when no records are shared).",
    columns=(
        Column("area_code", "str", required=True, synonyms=("areacode", "wardcode", "area")),
        Column("month", "month", required=True, synonyms=("month", "period")),
        Column("count", "int", required=True, synonyms=("count", "n", "people", "victims")),
        _AGENCY,
    ),
)

FLAGGED = Kind(
    name="flagged",
    table="flagged",
    ref_column="ref",
    help="Addresses of concern (possible cuckooing), with indicators from a fixed vocabulary.",
    columns=(
        Column(
            "ref",
            "str",
            required=True,
            synonyms=(*_REF.synonyms, "uprn", "propertyref"),
        ),
        _ADDRESS,
        _LAT,
        _LNG,
        Column(
            "first_flagged",
            "date",
            required=True,
            synonyms=("firstflagged", "flagged", "dateflagged", "date"),
        ),
        Column("indicators", "str", synonyms=("indicators", "indicator", "concerns")),
        Column("status", "str", synonyms=("status",)),
        Column("closed", "date", synonyms=("closed", "dateclosed", "resolved")),
        _AGENCY,
    ),
)

_BOUNDARY_COLUMNS = (
    Column("code", "str", required=True),
    Column("name", "str", required=True),
    Column("geometry", "geometry", required=True),
)
WARDS = Kind("wards", "wards", _BOUNDARY_COLUMNS, ref_column="code", help="Electoral wards.")
ESTATES = Kind("estates", "estates", _BOUNDARY_COLUMNS, ref_column="code", help="Housing estates.")

#: ONS ward codes carry the boundary year in their field names (WD11CD ... WD23CD; "Ward 2023 Code"): every year
#: from 2011, the first wards police.uk's data (December 2010 on) can be set against, to 2039.
_WARD_CODE_FIELDS = tuple(f"wd{y:02d}cd" for y in range(11, 40)) + tuple(f"ward20{y:02d}code" for y in range(11, 40))

#: Residents per ward and year: the denominators of rates per 1,000 residents (ONS mid-year estimates).
POPULATION = Kind(
    name="population",
    table="population",
    ref_column=None,
    key_columns=("code", "year"),
    area_column="code",
    # Nomis: GENDER / GENDER_NAME, C_AGE / C_AGE_NAME; ONS and others: Sex, Age, Age group
    breakdown_headings=(
        *("gender", "gendername", "gendercode", "sex", "sexname", "sexcode"),
        *("age", "agename", "agegroup", "agegroupname", "cage", "cagename", "cagecode"),
    ),
    help="Residents per ward and year (ONS mid-year estimates by ward code), for rates per 1,000 residents.",
    columns=(
        Column(
            "code",
            "str",
            required=True,
            # ONS estimates: "Ward Code 1" (to mid-2020), "Ward 2023 Code" (mid-2021 on); Nomis: GEOGRAPHY_CODE
            synonyms=("code", "wardcode", "wardcode1", "areacode", "geographycode", *_WARD_CODE_FIELDS),
            help="the ward (or estate) code the boundaries use, e.g. E05001234",
        ),
        Column(
            "population",
            "int",
            required=True,
            # ONS: "All Ages" (to mid-2020), "Total" (mid-2021 on); Nomis: OBS_VALUE
            synonyms=("population", "allages", "total", "obsvalue", "persons", "allpersons", "totalpopulation"),
            help="residents, a whole number",
        ),
        Column(
            "year",
            "int",
            required=True,
            synonyms=("year", "midyear", "midyearestimate", "date", "datename", "datecode", "period"),
            help="the mid-year of the estimate, e.g. 2022 or Mid-2022 (ONS sheets give it in the sheet's name: "
            "add the column)",
        ),
    ),
)

#: Where patrols were: GPS pings (a vehicle's or radio's tracker, a GPX track) and check-ins at planned places.
PATROLS = Kind(
    name="patrols",
    table="patrols",
    ref_column=None,
    key_columns=("unit", "time"),
    help="Where patrols were, as pings: unit (a call sign or team, never a person's name), time, lat/lng.",
    columns=(
        Column(
            "unit",
            "str",
            required=True,
            synonyms=("unit", "callsign", "team", "vehicle", "vehicleid", "device", "deviceid", "patrol"),
            help="a call sign or team (e.g. B21), never an officer's name",
        ),
        Column(
            "time",
            "instant",
            required=True,
            synonyms=("time", "timestamp", "datetime", "recorded", "recordedat", "timeutc", "utc", "fixtime"),
            help="ISO 8601, e.g. 2024-05-01T14:03:00Z or 2024-05-01T15:03:00+01:00 (no offset: UTC)",
        ),
        _LAT,
        _LNG,
        Column("source", "str", synonyms=("source",), help="where the ping came from: gps (default), gpx, check-in"),
    ),
)

#: A housing provider's stock or an address gazetteer: the homes around an address of concern.
PROPERTIES = Kind(
    name="properties",
    table="properties",
    ref_column="ref",
    help="Homes (a housing provider's stock or an address gazetteer): ref, address, UPRN, lat/lng, landlord, block.",
    columns=(
        Column("ref", "str", required=True, synonyms=(*_REF.synonyms, "propertyref", "propref", "assetref")),
        _ADDRESS,
        Column("uprn", "str", synonyms=("uprn", "uprnnumber"), help="the Unique Property Reference Number, as text"),
        _LAT,
        _LNG,
        Column("landlord", "str", synonyms=("landlord", "owner", "provider", "registeredprovider")),
        Column("block", "str", synonyms=("block", "blockname", "building", "blockref")),
    ),
)

#: What partners notice at an address (a repairs job, a neighbour's complaint, a visit with no access): one row
#: per event, the words from :data:`geo.core.signals.SIGNALS`. The address is named by the partner's property
#: ref, its UPRN or both; a row without a point is kept and placed by the stored homes (``properties``) with
#: that ref or UPRN, because a repairs export knows the property, not its coordinates.
SIGNALS = Kind(
    name="signals",
    table="signals",
    ref_column=None,
    key_columns=("ref", "uprn", "date", "signal", "source", "event"),
    coordinates_optional=True,
    help="What partners notice at an address (lock changes, repairs, neighbours' complaints, no access): "
    "one row per event, for the early-warning review queue.",
    columns=(
        Column("ref", "str", synonyms=("ref", "reference", "propertyref", "propref", "property", "assetref")),
        _ADDRESS,
        Column("uprn", "str", synonyms=("uprn", "uprnnumber", "propertyuprn"), help="UPRN, as text"),
        _LAT,
        _LNG,
        Column(
            "date",
            "date",
            required=True,
            synonyms=("date", "eventdate", "jobdate", "reporteddate", "datereported", "raiseddate", "dateraised"),
            help="YYYY-MM-DD (or DD/MM/YYYY) of the event",
        ),
        Column(
            "signal",
            "str",
            required=True,
            synonyms=("signal", "event", "type", "signaltype", "jobdescription", "description", "complainttype"),
            help="what was noticed, from the vocabulary (lock change, neighbour complaint: noise, …)",
        ),
        Column("source", "str", synonyms=("source", "system", "agency", "partner"), help="e.g. repairs, housing ASB"),
        Column(
            "event",
            "str",
            synonyms=("eventref", "jobref", "jobnumber", "jobno", "caseref", "casenumber", "complaintref"),
            help="the partner's own job or case number (two events on one day are two rows only with it)",
        ),
    ),
)

#: Which group or county line a case record is linked to, from police intelligence: its own table, read only by
#: users with the ``intel`` flag, so the flagged list and the closure orders stay shareable without it.
LINES = Kind(
    name="lines",
    table="lines",
    ref_column=None,
    key_columns=("record", "ref", "line"),
    coordinates_optional=True,
    help="Police intelligence: which group or county line a flagged address, closure order or warrant is "
    "linked to (restricted: users with the intel flag).",
    columns=(
        Column("line", "str", required=True, synonyms=("line", "linename", "group", "groupname", "ocg", "gang")),
        Column("record", "str", required=True, synonyms=("record", "recordtype", "kind", "type")),
        Column("ref", "str", required=True, synonyms=("ref", "reference", "caseref", "orderref", "warrantref")),
        _ADDRESS,
        _LAT,
        _LNG,
        Column(
            "date",
            "date",
            synonyms=("date", "seen", "dateseen", "linked", "datelinked", "executed"),
            help="when the link was seen (a warrant: when executed); blank: the record's own date",
        ),
    ),
)

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        *(INCIDENTS, CLOSURES, VICTIMS, VICTIM_COUNTS, FLAGGED, WARDS, ESTATES, POPULATION, PATROLS, PROPERTIES),
        *(SIGNALS, LINES),
    )
}

#: What a user may name on the command line (victim counts arrive as "victims").
IMPORT_KINDS = (
    "incidents",
    "closures",
    "victims",
    "flagged",
    "wards",
    "estates",
    "population",
    "patrols",
    "properties",
    "signals",
    "lines",
)
BOUNDARY_KINDS = ("wards", "estates")

POLICE_UK_HEADER = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)
POLICE_UK_TO_CANONICAL = {
    "Crime ID": "ref",
    "Month": "month",
    "Reported by": "reported_by",
    "Longitude": "lng",
    "Latitude": "lat",
    "Location": "location",
    "LSOA code": "lsoa_code",
    "LSOA name": "lsoa_name",
    "Crime type": "category",
    "Last outcome category": "outcome",
    "Context": "context",
}

ASB = "Anti-social behaviour"

#: police.uk crime types, current and historical, so older archives still load.
INCIDENT_CATEGORIES = (
    ASB,
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other crime",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
    "Violent crime",
    "Public disorder and weapons",
)

#: Cuckooing indicators (Home Office / housing guidance): key -> label, synonyms.
INDICATORS: dict[str, tuple[str, tuple[str, ...]]] = {
    "visitors_odd_hours": (
        "visitors at odd hours",
        ("visitors", "oddhours", "visitorsatoddhours", "manyvisitors", "morevisitors"),
    ),
    "lock_changes": (
        "lock changes",
        (
            "lockchange",
            "lockchanges",
            "lockchangerequests",
            "repeatedlockchanges",
            "repairs",
        ),
    ),
    "litter_needles": (
        "litter/needles",
        ("litter", "needles", "litterneedles", "drugparaphernalia"),
    ),
    "noise": ("noise", ("noise", "noisy")),
    "tenant_not_seen": (
        "tenant not seen / never alone",
        (
            "tenantnotseen",
            "neveralone",
            "tenantneveralone",
            "notseen",
            "tenantnotseenneveralone",
        ),
    ),
    "curtains_shut": (
        "curtains shut",
        ("curtains", "curtainsshut", "curtainsalwaysshut"),
    ),
    "smells": ("smells", ("smell", "smells", "odour", "odours")),
    "damage": ("damage", ("damage", "propertydamage")),
    "other": ("other", ("other",)),
}

FLAGGED_STATUSES = ("open", "closed")
#: What a ``lines`` row links: a flagged address, a closure order (by their refs) or a warrant (its own point).
LINE_RECORDS = ("flagged", "closure", "warrant")
CLOSURE_ORDER_TYPES = ("full", "partial")
CLOSURE_STATUSES = ("active", "extended", "expired", "discharged", "revoked")

_NORMALISE = re.compile(r"[^a-z0-9]")


def normalise_label(text: str) -> str:
    """Lower-case and strip everything but letters and digits.

    Headers and vocabulary values from spreadsheets differ in case, spacing
    and punctuation ("Lock-changes", "lock changes"); comparing normalised
    forms accepts them all without accepting different words.
    """
    return _NORMALISE.sub("", text.lower())


def indicator_lookup() -> dict[str, str]:
    """Map every accepted spelling (normalised) of an indicator to its key."""
    lookup: dict[str, str] = {}
    for key, (label, synonyms) in INDICATORS.items():
        for s in (key, label, *synonyms):
            lookup[normalise_label(s)] = key
    return lookup


def category_lookup() -> dict[str, str]:
    """Map normalised incident category spellings to the canonical police.uk name."""
    return {normalise_label(c): c for c in INCIDENT_CATEGORIES} | {"asb": ASB}
