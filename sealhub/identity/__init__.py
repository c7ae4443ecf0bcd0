"""Identity: organisations (tenants), the org tree, people and memberships, roles and
permissions with data scopes, authentication (password, SMS code, TOTP), sessions, API keys."""
