"""The workbench: server-rendered pages for Puskesos officers, program officers and operators.

A backend-for-frontend with no database and no Kafka of its own: every page calls the services'
HTTP APIs with the signed-in person's bearer token, so every access rule stays the services'.
"""
