{{- define "latent.training.serviceAccountName" -}}
{{- if .Values.training.serviceAccount.create -}}
{{- default (include "latent.componentName" (dict "root" . "component" "training")) .Values.training.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.training.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The training data claim; "" for an emptyDir. */}}
{{- define "latent.training.claimName" -}}
{{- if .Values.training.persistence.existingClaim -}}
{{- .Values.training.persistence.existingClaim -}}
{{- else if .Values.training.persistence.enabled -}}
{{- include "latent.componentName" (dict "root" . "component" "training-data") -}}
{{- end -}}
{{- end -}}

{{/* Training's PostgreSQL settings, in its own schema so its Flyway history never meets the gateway's. */}}
{{- define "latent.training.spring" -}}
{{- $host := include "latent.postgresql.host" . -}}
{{- if $host -}}
{{- $db := printf "%s:%s/%s" $host (include "latent.postgresql.port" .) .Values.postgresql.database -}}
{{- $schema := .Values.postgresql.trainingSchema -}}
{{- $r2dbc := dict "url" (printf "r2dbc:postgresql://%s?schema=%s" $db $schema) "username" .Values.postgresql.username -}}
{{- $flyway := dict "url" (printf "jdbc:postgresql://%s?currentSchema=%s" $db $schema) "user" .Values.postgresql.username "default-schema" $schema "schemas" (list $schema) -}}
{{- toYaml (dict "r2dbc" $r2dbc "flyway" $flyway) -}}
{{- else -}}
{}
{{- end -}}
{{- end -}}

{{/* Settings the chart derives for training: the inference Service that loads finished models. */}}
{{- define "latent.training.computed" -}}
{{- if .Values.inference.enabled -}}
{{- $url := printf "http://%s:%v" (include "latent.componentName" (dict "root" . "component" "inference")) .Values.inference.port -}}
{{- toYaml (dict "jobs" (dict "inference-url" $url)) -}}
{{- else -}}
{}
{{- end -}}
{{- end -}}
