#!/usr/bin/env bash
# Java 17 or later for the Spark engine's tests (docs/spark.md): Spark 4 runs on it.
#
#   bash .ci/services/java.sh      prints the Java version in use
#
# Idempotent: does nothing when `java -version` reports 17 or later; otherwise installs Debian's
# openjdk-17-jre-headless with apt-get (as root, or through sudo when it is there). Prints only
# versions and what it installs.
set -euo pipefail

say() { echo "java.sh: $*" >&2; }

major() {
    # 17 from 'openjdk version "17.0.15"', 8 from 'java version "1.8.0_392"'; empty without java.
    local v
    v=$("$1" -version 2>&1 | sed -n 's/.* version "\([0-9][0-9.]*\).*/\1/p' | head -n 1)
    [ -n "$v" ] || return 0
    case "$v" in
        1.*) echo "$v" | cut -d. -f2 ;;
        *) echo "$v" | cut -d. -f1 ;;
    esac
}

java_bin() {
    if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
        echo "$JAVA_HOME/bin/java"
    elif command -v java >/dev/null 2>&1; then
        command -v java
    fi
}

current() {
    local j
    j=$(java_bin)
    [ -n "$j" ] && major "$j"
}

have=$(current || true)
if [ -n "$have" ] && [ "$have" -ge 17 ]; then
    say "Java $have is installed"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo -n)
else
    say "Java 17 is missing and installing it needs root: apt-get install openjdk-17-jre-headless"
    exit 1
fi

say "installing openjdk-17-jre-headless${have:+ (found Java $have, older than 17)}"
export DEBIAN_FRONTEND=noninteractive
# Debian's package scripts expect the man directory that slim images leave out.
"${SUDO[@]}" mkdir -p /usr/share/man/man1
"${SUDO[@]}" apt-get update -qq >/dev/null
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null

if [ -n "${JAVA_HOME:-}" ] && ! [ -x "$JAVA_HOME/bin/java" ]; then
    say "JAVA_HOME ($JAVA_HOME) has no bin/java; unset it or point it at the new Java"
fi
have=$(current || true)
if [ -z "$have" ] || [ "$have" -lt 17 ]; then
    say "Java 17 is still not the java on PATH (found ${have:-none}): see update-alternatives --config java"
    exit 1
fi
say "Java $have is installed"
