{{- define "latent.training.serviceAccountName" -}}
{{- if .Values.training.serviceAccount.create -}}
{{- default (include "latent.componentName" (dict "root" . "component" "training")) .Values.training.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.training.serviceAccount.name -}}
{{- end -}}
{{- end -}}
