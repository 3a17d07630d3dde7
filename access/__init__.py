"""Who may call the API: clients with a stable id and a unique name, their API keys, and the
authentication that turns a key into a client. Grants and throttles belong here too."""
