[ http://example.org/foo?bar=1 mailto:someone@example.org ]
