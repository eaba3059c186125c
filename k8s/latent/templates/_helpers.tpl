{{/* Names, labels and the values several templates share. */}}

{{- define "latent.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "latent.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Object name of a component: (dict "root" $ "component" "inference") */}}
{{- define "latent.componentName" -}}
{{- printf "%s-%s" (include "latent.fullname" .root | trunc 50 | trimSuffix "-") .component -}}
{{- end -}}

{{- define "latent.selectorLabels" -}}
app.kubernetes.io/name: {{ include "latent.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "latent.labels" -}}
{{ include "latent.selectorLabels" . }}
app.kubernetes.io/part-of: latent
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The chart's own Secret (admin key, passwords not taken from an existing Secret). */}}
{{- define "latent.secretName" -}}
{{- include "latent.fullname" . -}}
{{- end -}}

{{/* PostgreSQL host the gateway uses; "" when there is none. */}}
{{- define "latent.postgresql.host" -}}
{{- if .Values.postgresql.enabled -}}
{{- include "latent.componentName" (dict "root" . "component" "postgresql") -}}
{{- else -}}
{{- .Values.postgresql.external.host -}}
{{- end -}}
{{- end -}}

{{- define "latent.postgresql.port" -}}
{{- if .Values.postgresql.enabled -}}5432{{- else -}}{{ .Values.postgresql.external.port }}{{- end -}}
{{- end -}}

{{/* Redis host the gateway uses; "" when there is none. */}}
{{- define "latent.redis.host" -}}
{{- if .Values.redis.enabled -}}
{{- include "latent.componentName" (dict "root" . "component" "redis") -}}
{{- else -}}
{{- .Values.redis.external.host -}}
{{- end -}}
{{- end -}}

{{- define "latent.redis.port" -}}
{{- if .Values.redis.enabled -}}6379{{- else -}}{{ .Values.redis.external.port }}{{- end -}}
{{- end -}}

{{/* Whether a Redis password exists (bundled instances always get one). */}}
{{- define "latent.redis.hasPassword" -}}
{{- if or .Values.redis.enabled .Values.redis.password .Values.redis.existingSecret -}}true{{- end -}}
{{- end -}}

{{/* A secretKeyRef: (dict "root" $ "existing" name "existingKey" key "key" chartKey) */}}
{{- define "latent.secretRef" -}}
secretKeyRef:
  {{- if .existing }}
  name: {{ .existing }}
  key: {{ .existingKey }}
  {{- else }}
  name: {{ include "latent.secretName" .root }}
  key: {{ .key }}
  {{- end }}
{{- end -}}

{{/* A password kept across upgrades: the given value, else the one already stored, else a new one. */}}
{{- define "latent.stickyPassword" -}}
{{- if .value -}}
{{- .value -}}
{{- else -}}
{{- $existing := lookup "v1" "Secret" .root.Release.Namespace (include "latent.secretName" .root) -}}
{{- if and $existing (hasKey $existing.data .key) -}}
{{- index $existing.data .key | b64dec -}}
{{- else -}}
{{- randAlphaNum 32 -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* PDB API: policy/v1 where served (1.21+), else policy/v1beta1. */}}
{{- define "latent.pdb.apiVersion" -}}
{{- if .Capabilities.APIVersions.Has "policy/v1" -}}policy/v1{{- else -}}policy/v1beta1{{- end -}}
{{- end -}}

{{/* HPA API: autoscaling/v2 where served (1.23+), else autoscaling/v2beta2. */}}
{{- define "latent.hpa.apiVersion" -}}
{{- if .Capabilities.APIVersions.Has "autoscaling/v2" -}}autoscaling/v2{{- else -}}autoscaling/v2beta2{{- end -}}
{{- end -}}

{{/* Whether the model store volume is a PVC (created or existing). */}}
{{- define "latent.modelStore.claimName" -}}
{{- if .Values.modelStore.existingClaim -}}
{{- .Values.modelStore.existingClaim -}}
{{- else if .Values.modelStore.enabled -}}
{{- include "latent.componentName" (dict "root" . "component" "models") -}}
{{- end -}}
{{- end -}}

{{/* Container resources with every quantity a string: server-side apply refuses numbers there. */}}
{{- define "latent.resources" -}}
{{- range $section := list "requests" "limits" }}
{{- with (index $ $section) }}
{{ $section }}:
  {{- range $name, $quantity := . }}
  {{ $name }}: {{ $quantity | toString | quote }}
  {{- end }}
{{- end }}
{{- end }}
{{- end -}}
