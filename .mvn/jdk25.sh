# Sourced (POSIX sh, globbing may be off) by ./mvnw and java/bin/lowbit.
# lowbit needs JDK 25 (FFM API without preview); many machines default to an older java.
# Make JAVA_HOME point at a JDK >= 25 without the user editing anything:
#   1. $JAVA_HOME, if it already is >= 25
#   2. $LOWBIT_JDK (explicit override)
#   3. the JDK of `java` on PATH, if >= 25
#   4. the newest JDK >= 25 under /usr/lib/jvm, /opt, /usr/local, ~/.sdkman/candidates/java, ~/.jdks
# If none is found, print one line saying what to install and stop.

lowbit_jdk_feature() { # prints the feature release (e.g. 25) of the JDK at $1, or nothing
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
  if [ -f "$1/release" ]; then
    sed -n 's/^JAVA_VERSION="\{0,1\}\([0-9][0-9]*\).*/\1/p' "$1/release" | head -n 1
  else
    "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9][0-9]*\).*/\1/p' | head -n 1
  fi
}

lowbit_jdk_ok() { v=$(lowbit_jdk_feature "$1"); [ -n "$v" ] && [ "$v" -ge 25 ]; }

lowbit_find_jdk25() {
  if [ -n "${JAVA_HOME-}" ] && lowbit_jdk_ok "$JAVA_HOME"; then echo "$JAVA_HOME"; return 0; fi
  if [ -n "${LOWBIT_JDK-}" ] && lowbit_jdk_ok "$LOWBIT_JDK"; then echo "$LOWBIT_JDK"; return 0; fi
  j=$(command -v java 2>/dev/null || true)
  if [ -n "$j" ]; then
    h=$(dirname "$(dirname "$(readlink -f "$j")")")
    if lowbit_jdk_ok "$h"; then echo "$h"; return 0; fi
  fi
  best=""; bestv=0
  for root in /usr/lib/jvm /opt /usr/local "${HOME-/root}/.sdkman/candidates/java" "${HOME-/root}/.jdks"; do
    [ -d "$root" ] || continue
    for name in $(ls "$root" 2>/dev/null); do
      v=$(lowbit_jdk_feature "$root/$name")
      if [ -n "$v" ] && [ "$v" -ge 25 ] && [ "$v" -gt "$bestv" ]; then best="$root/$name"; bestv=$v; fi
    done
  done
  [ -n "$best" ] && echo "$best"
}

if lowbit_jdk_home=$(lowbit_find_jdk25) && [ -n "$lowbit_jdk_home" ]; then
  JAVA_HOME=$lowbit_jdk_home
  export JAVA_HOME
else
  echo "lowbit needs JDK 25 or newer (found none): install one (e.g. Temurin 25) and set JAVA_HOME or LOWBIT_JDK to it." >&2
  exit 1
fi
