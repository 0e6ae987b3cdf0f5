"""Our OCPI endpoint: versions, version details and credentials, served with aiohttp.web."""
