"""ASC X12 278 (005010X217) health care services review: request in, response out, same intake."""
