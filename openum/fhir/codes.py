"""Canonical URLs, code systems and code meanings of Da Vinci PAS 2.2.1 that OpenUM uses."""

from __future__ import annotations

from enum import StrEnum

FHIR_VERSION = "4.0.1"
MEDIA_TYPE = "application/fhir+json"

PAS = "http://hl7.org/fhir/us/davinci-pas"
IG_CANONICAL = f"{PAS}/ImplementationGuide/hl7.fhir.us.davinci-pas"
SD = f"{PAS}/StructureDefinition"

PROFILE_REQUEST_BUNDLE = f"{SD}/profile-pas-request-bundle"
PROFILE_INQUIRY_REQUEST_BUNDLE = f"{SD}/profile-pas-inquiry-request-bundle"
PROFILE_RESPONSE_BUNDLE = f"{SD}/profile-pas-response-bundle"
PROFILE_INQUIRY_RESPONSE_BUNDLE = f"{SD}/profile-pas-inquiry-response-bundle"
PROFILE_CLAIM = f"{SD}/profile-claim"
PROFILE_CLAIM_UPDATE = f"{SD}/profile-claim-update"
PROFILE_CLAIM_INQUIRY = f"{SD}/profile-claim-inquiry"
PROFILE_CLAIM_RESPONSE = f"{SD}/profile-claimresponse"
PROFILE_CLAIM_INQUIRY_RESPONSE = f"{SD}/profile-claiminquiryresponse"
PROFILE_COMMUNICATION_REQUEST = f"{SD}/profile-communicationrequest"

OP_SUBMIT = f"{PAS}/OperationDefinition/Claim-submit"
OP_INQUIRE = f"{PAS}/OperationDefinition/Claim-inquiry"

# Extensions on the request.
EXT_LEVEL_OF_SERVICE = f"{SD}/extension-levelOfServiceCode"
EXT_REQUEST_TYPE = f"{SD}/extension-serviceItemRequestType"
EXT_CERTIFICATION_TYPE = f"{SD}/extension-certificationType"
EXT_ITEM_TRACE_NUMBER = f"{SD}/extension-itemTraceNumber"
EXT_AUTHORIZATION_NUMBER = f"{SD}/extension-authorizationNumber"
EXT_REQUESTED_SERVICE = f"{SD}/extension-requestedService"
EXT_INFO_CHANGED = f"{SD}/extension-infoChanged"
EXT_INFO_CANCELLED = f"{SD}/modifierextension-infoCancelled"
EXT_CLAIM_ENCOUNTER = "http://hl7.org/fhir/5.0/StructureDefinition/extension-Claim.encounter"

# Extensions on the response.
EXT_REVIEW_ACTION = f"{SD}/extension-reviewAction"
EXT_REVIEW_ACTION_CODE = f"{SD}/extension-reviewActionCode"
EXT_REVIEWER = f"{SD}/extension-claimResponseReviewer"
EXT_ITEM_PREAUTH_ISSUE_DATE = f"{SD}/extension-itemPreAuthIssueDate"
EXT_ITEM_PREAUTH_PERIOD = f"{SD}/extension-itemPreAuthPeriod"
EXT_ITEM_REQUESTED_SERVICE_DATE = f"{SD}/extension-itemRequestedServiceDate"
EXT_ITEM_AUTHORIZED_DETAIL = f"{SD}/extension-itemAuthorizedDetail"
EXT_SERVICE_LINE_NUMBER = f"{SD}/extension-serviceLineNumber"

# Code systems.
X12 = "https://codesystem.x12.org/005010"
X12_REVIEW_ACTION = f"{X12}/306"
X12_REQUEST_TYPE = f"{X12}/1525"
X12_CERTIFICATION_TYPE = f"{X12}/1322"
X12_LEVEL_OF_SERVICE = f"{X12}/1338"
X12_SERVICE_TYPE = f"{X12}/1365"
X12_ATTACHMENT_REPORT_TYPE = f"{X12}/755"
ADJUDICATION = "http://terminology.hl7.org/CodeSystem/adjudication"
CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
PAS_TEMP_CODES = f"{PAS}/CodeSystem/PASTempCodes"
NPI = "http://hl7.org/fhir/sid/us-npi"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
POS = "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"

# OpenUM's own identifier systems (the plan and the authorization ID it issues).
OPENUM_PLAN = "https://openum.org/fhir/sid/plan-id"
OPENUM_AUTHORIZATION = "https://openum.org/fhir/sid/authorization-id"
OPENUM_MEMBER = "https://openum.org/fhir/sid/member-id"


class ReviewAction(StrEnum):
    """X12 306 (HCR01) as PAS uses it; the labels are X12's, never mixed up (A2 is not a denial)."""

    CERTIFIED = "A1"
    CERTIFIED_PARTIAL = "A2"
    NOT_CERTIFIED = "A3"
    PENDED = "A4"
    MODIFIED = "A6"
    CANCELLED = "C"
    CONTACT_PAYER = "CT"
    NO_ACTION_REQUIRED = "NA"


REVIEW_ACTION_DISPLAY: dict[ReviewAction, str] = {
    ReviewAction.CERTIFIED: "Certified in total",
    ReviewAction.CERTIFIED_PARTIAL: "Certified - partial",
    ReviewAction.NOT_CERTIFIED: "Not Certified",
    ReviewAction.PENDED: "Pended",
    ReviewAction.MODIFIED: "Modified",
    ReviewAction.CANCELLED: "Cancelled",
    ReviewAction.CONTACT_PAYER: "Contact Payer",
    ReviewAction.NO_ACTION_REQUIRED: "No Action Required",
}

# UM02: I initial, 1/2 appeal (immediate/standard), 3 cancel, 4 extension, R renewal, S revised.
CERTIFICATION_TYPES = frozenset({"I", "1", "2", "3", "4", "R", "S"})
CANCEL = "3"

# UM06 codes that make a request urgent (U urgent, 03 emergency).
URGENT_LEVELS = frozenset({"U", "03"})
