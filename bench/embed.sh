#!/usr/bin/env bash
# EmbedBench with its peers on the class path (ONNX Runtime and LangChain4j's int8 MiniLM are not
# shaded into benchmarks.jar). Extra arguments go to JMH, e.g.:
#   bash bench/embed.sh -p batch=8 -rf json -rff bench/results/embed.json
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. .mvn/jdk25.sh
cp_file=$(mktemp)
./mvnw -q -B -o -pl bench dependency:build-classpath -Dmdep.outputFile="$cp_file" >/dev/null
exec "$JAVA_HOME/bin/java" -cp "bench/target/benchmarks.jar:$(cat "$cp_file")" org.openjdk.jmh.Main EmbedBench "$@"
