"""Field names of the national standard for digital-mediation places, v1.0.2
(``../shared/data/schema/lieux-mediation-numerique-schema-v1.0.2.json``)."""

# Every column, in the standard's order (the CSV export writes them so).
V1_COLUMNS: tuple[str, ...] = (
    "id",
    "pivot",
    "nom",
    "commune",
    "code_postal",
    "code_insee",
    "adresse",
    "complement_adresse",
    "latitude",
    "longitude",
    "typologie",
    "telephone",
    "courriels",
    "site_web",
    "horaires",
    "presentation_resume",
    "presentation_detail",
    "source",
    "itinerance",
    "structure_parente",
    "date_maj",
    "services",
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "dispositif_programmes_nationaux",
    "formations_labels",
    "autres_formations_labels",
    "modalites_acces",
    "modalites_accompagnement",
    "fiche_acces_libre",
    "prise_rdv",
)

# The fields kept as they are in ``Structure.standard`` (lists of strings), the others having columns of their own.
EXTRA_FIELDS: tuple[str, ...] = (
    "publics_specifiquement_adresses",
    "prise_en_charge_specifique",
    "frais_a_charge",
    "dispositif_programmes_nationaux",
    "formations_labels",
    "autres_formations_labels",
    "modalites_acces",
    "modalites_accompagnement",
    "itinerance",
    "structure_parente",
    "fiche_acces_libre",
    "prise_rdv",
)
