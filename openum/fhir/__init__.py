"""The FHIR R4 boundary: Da Vinci PAS $submit and $inquire mapped onto the one intake."""
