{{/* The gateway's application.yaml tree: backend URLs of the chart's Services, the ledger and
     limits connections, then the user's `gateway.config` on top. No secrets. */}}
{{- define "latent.gateway.config" -}}
{{- $root := . -}}
{{- $backends := dict -}}
{{- range $c := list "inference" "vision" "training" -}}
{{- $url := printf "http://%s:%v" (include "latent.componentName" (dict "root" $root "component" $c)) (index $root.Values $c "port") -}}
{{- $_ := set $backends $c (dict "urls" (list $url)) -}}
{{- end -}}
{{- $redisHost := include "latent.redis.host" . -}}
{{- $computed := dict "routing" (dict "backends" $backends) "limits" (dict "store" (ternary "redis" "memory" (ne $redisHost ""))) -}}
{{- $gateway := mustMergeOverwrite $computed (deepCopy (default dict .Values.gateway.config)) -}}
{{- $spring := dict -}}
{{- $pgHost := include "latent.postgresql.host" . -}}
{{- if $pgHost -}}
{{- $hostPort := printf "%s:%s/%s" $pgHost (include "latent.postgresql.port" .) .Values.postgresql.database -}}
{{- $_ := set $spring "r2dbc" (dict "url" (printf "r2dbc:postgresql://%s" $hostPort) "username" .Values.postgresql.username) -}}
{{- $_ := set $spring "flyway" (dict "url" (printf "jdbc:postgresql://%s" $hostPort) "user" .Values.postgresql.username) -}}
{{- end -}}
{{- if $redisHost -}}
{{- $redis := dict "host" $redisHost "port" (include "latent.redis.port" . | int) -}}
{{- if and (not .Values.redis.enabled) .Values.redis.external.ssl -}}
{{- $_ := set $redis "ssl" (dict "enabled" true) -}}
{{- end -}}
{{- $_ := set $spring "data" (dict "redis" $redis) -}}
{{- end -}}
{{- $http := mustMergeOverwrite (deepCopy .Values.http) (deepCopy (default dict .Values.gateway.http)) -}}
{{- $body := dict "server" (dict "port" .Values.gateway.port) "latent" (dict "http" $http "gateway" $gateway) -}}
{{- if $spring -}}{{- $_ := set $body "spring" $spring -}}{{- end -}}
{{- toYaml $body -}}
{{- end -}}

{{/* Environment of the gateway: its JVM options, and the secret-backed variables. */}}
{{- define "latent.gateway.env" -}}
{{- with .Values.gateway.javaOptions }}
# Replaces the image's JAVA_TOOL_OPTIONS: memory flags, then the gateway's own (collector, metaspace).
# Heap 50% of the limit, not the image's 75%: Netty's direct buffers, metaspace (~80 MB) and, with
# gateway.javaOptions naming ZGC, its larger resident size (~720 MB at -Xmx512m) live beside it.
- name: JAVA_TOOL_OPTIONS
  value: {{ printf "-XX:MaxRAMPercentage=50 -XX:InitialRAMPercentage=25 -XX:+ExitOnOutOfMemoryError --enable-native-access=ALL-UNNAMED %s" . | quote }}
{{- end }}
{{- if or .Values.adminKey.value .Values.adminKey.existingSecret }}
- name: LATENT_ADMIN_KEY
  valueFrom:
    {{- include "latent.secretRef" (dict "root" . "existing" .Values.adminKey.existingSecret "existingKey" .Values.adminKey.existingSecretKey "key" "admin-key") | nindent 4 }}
{{- end }}
{{- include "latent.postgresql.env" . }}
{{- if and (include "latent.redis.host" .) (include "latent.redis.hasPassword" .) }}
- name: SPRING_DATA_REDIS_PASSWORD
  valueFrom:
    {{- include "latent.secretRef" (dict "root" . "existing" .Values.redis.existingSecret "existingKey" .Values.redis.existingSecretKey "key" "redis-password") | nindent 4 }}
{{- end }}
{{- end -}}

{{/* The database password as the two variables Spring reads (R2DBC at runtime, Flyway for migrations). */}}
{{- define "latent.postgresql.env" -}}
{{- if include "latent.postgresql.host" . }}
{{- range $name := list "SPRING_R2DBC_PASSWORD" "SPRING_FLYWAY_PASSWORD" }}
- name: {{ $name }}
  valueFrom:
    {{- include "latent.secretRef" (dict "root" $ "existing" $.Values.postgresql.existingSecret "existingKey" $.Values.postgresql.existingSecretKey "key" "postgres-password") | nindent 4 }}
{{- end }}
{{- end }}
{{- end -}}
