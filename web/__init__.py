"""The web application (issue 5): server-rendered pages and a JSON API over the services layer.

`web.app.create_app(app, secret_key=...)` builds it; `partyflow serve` runs it with uvicorn.
No rule lives here: pages parse forms, call services, render the results.
"""
