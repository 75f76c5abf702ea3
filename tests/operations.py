"""The GraphQL operations a console sends (also shown in the README's walkthrough)."""

RESULT = """
  __typename
  ... on DossierPayload { dossier { id status version carnetNumber structure { id name } } }
  ... on Error { code message }
  ... on InvalidInputError { field }
  ... on InvalidTransitionError { currentStatus }
  ... on RateLimitedError { retryAfterSeconds }
"""

ORIENT = (
    "mutation Orient($input: OrientBeneficiaryInput!) { orientBeneficiary(input: $input) {" + RESULT + "} }"
)
TAKE = (
    "mutation Take($id: ID!, $v: Int) { takeInCharge(dossierId: $id, expectedVersion: $v) {" + RESULT + "} }"
)
REORIENT = (
    "mutation Reorient($id: ID!, $to: ID!, $note: String, $v: Int) {"
    " reorientDossier(dossierId: $id, toStructureId: $to, note: $note, expectedVersion: $v) {"
    + RESULT
    + "} }"
)
ARCHIVE = (
    "mutation Archive($id: ID!, $reason: ArchiveReason!, $note: String, $v: Int) {"
    " archiveDossier(dossierId: $id, reason: $reason, note: $note, expectedVersion: $v) {" + RESULT + "} }"
)
CLAIM = (
    "mutation Claim($name: String!, $carnet: String!) {"
    " claimDossier(beneficiaryLastName: $name, carnetNumber: $carnet) {" + RESULT + "} }"
)
COUNTS = "{ dossierCounts { oriented takenInCharge archived } }"
LIST = """
query Tab($status: DossierStatus!, $search: String, $first: Int, $after: String) {
  dossiers(status: $status, search: $search, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id carnetNumber beneficiary { lastName firstName } status structure { name }
                   history { kind actor fromStructure { name } toStructure { name } archiveReason note } } }
  }
}
"""
DOSSIER = """
query One($id: ID!) {
  dossier(id: $id) { id carnetNumber status version beneficiary { lastName firstName communeCode } needs
    takenInChargeAt archivedAt archiveReason
    history { kind actor fromStructure { name } toStructure { name } archiveReason note } }
}
"""
DECLINE = (
    "mutation Decline($id: ID!, $reason: DeclineReason!, $note: String, $v: Int) {"
    " declineDossier(dossierId: $id, reason: $reason, note: $note, expectedVersion: $v) {" + RESULT + "} }"
)
QUEUE = """
query Queue { dossierCounts { returned }
  dossiers(status: RETURNED) { totalCount edges { node { id status declineReason structure { name }
    history { kind actor declineReason note } } } } }
"""
