#!/usr/bin/env bash
# Gives the roles of 10-roles.sql their login passwords, taken from the
# database URLs the migrate job and the service read (compose secrets), so
# each password is written down once. Runs once, after 10-roles.sql, on an
# empty data volume; the official image runs it, or sources it if it is not
# executable, so it changes no shell options beyond the image's own.
set -Eeo pipefail

# Prints the password of the postgresql:// URL in file $2, after checking that the URL is role $1's.
url_password() {
	local role=$1 file=$2 url userinfo password
	url=$(<"$file")
	userinfo=${url#*://}
	userinfo=${userinfo%%@*}
	if [[ $url != postgres*://*:*@* || ${userinfo%%:*} != "$role" ]]; then
		echo "$file: expected postgresql://$role:<password>@postgres:5432/$POSTGRES_DB" >&2
		return 1
	fi
	password=${userinfo#*:}
	password=${password//\\/\\\\}
	# Undo percent-encoding (%40 is @), as a URL parser would.
	printf '%b' "${password//%/\\x}"
}

set_password() {
	local role=$1 password
	password=$(url_password "$role" "$2")
	# Through the environment and \getenv (psql 15+), so the password is never on a command line.
	ROLE_PASSWORD=$password psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
\getenv password ROLE_PASSWORD
ALTER ROLE $role PASSWORD :'password';
SQL
}

set_password contract_events_migrator "${MIGRATOR_DATABASE_URL_FILE:?the DATABASE_URL_FILE of the migrate job}"
set_password contract_events_app "${APP_DATABASE_URL_FILE:?the DATABASE_URL_FILE of the service}"
