"""The typed bodies of the HTTP answers (one module per resource), so that every 2xx response in
/schema/openapi.json names its fields.  Services return dicts; the route converts them with
:func:`api.schemas.common.to`."""
