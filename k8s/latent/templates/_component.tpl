{{/*
The objects every service shares. Each takes a dict:
  root: $, component: gateway|inference|vision|training, values: .Values.<component>,
  and for the Deployment also models (mount the model store), env (extra EnvVars),
  configBody (the application.yaml tree, for the checksum) and serviceAccount.
*/}}

{{/* The image reference of a component. */}}
{{- define "latent.component.image" -}}
{{- $img := .values.image -}}
{{- $global := .root.Values.image -}}
{{- $tag := default (default .root.Chart.AppVersion $global.tag) $img.tag -}}
{{- if $global.registry -}}
{{- printf "%s/%s:%s" $global.registry $img.repository $tag -}}
{{- else -}}
{{- printf "%s:%s" $img.repository $tag -}}
{{- end -}}
{{- end -}}

{{- define "latent.component.gpuOn" -}}
{{- if and .values.gpu .values.gpu.enabled -}}true{{- end -}}
{{- end -}}

{{/* ConfigMap with the application.yaml mounted at /config/: (dict "root" $ "component" c "body" dict) */}}
{{- define "latent.component.configmap" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "latent.componentName" . }}
  labels:
    {{- include "latent.labels" . | nindent 4 }}
data:
  application.yaml: |
    # Written by the Helm chart; read through SPRING_CONFIG_ADDITIONAL_LOCATION=optional:file:/config/.
    # No secrets here: passwords and the admin key come from Secrets as environment variables.
    {{- toYaml .body | nindent 4 }}
{{- end -}}

{{- define "latent.component.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "latent.componentName" . }}
  labels:
    {{- include "latent.labels" . | nindent 4 }}
spec:
  type: {{ .values.serviceType }}
  selector:
    {{- include "latent.selectorLabels" . | nindent 4 }}
  ports:
    - name: http
      port: {{ .values.port }}
      targetPort: http
      protocol: TCP
{{- end -}}

{{- define "latent.component.pdb" -}}
{{- if .values.pdb.enabled }}
apiVersion: {{ include "latent.pdb.apiVersion" .root }}
kind: PodDisruptionBudget
metadata:
  name: {{ include "latent.componentName" . }}
  labels:
    {{- include "latent.labels" . | nindent 4 }}
spec:
  maxUnavailable: {{ .values.pdb.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "latent.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end -}}

{{- define "latent.component.hpa" -}}
{{- if .values.autoscaling.enabled }}
apiVersion: {{ include "latent.hpa.apiVersion" .root }}
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "latent.componentName" . }}
  labels:
    {{- include "latent.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "latent.componentName" . }}
  minReplicas: {{ .values.autoscaling.minReplicas }}
  maxReplicas: {{ .values.autoscaling.maxReplicas }}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ .values.autoscaling.targetCPUUtilizationPercentage }}
{{- end }}
{{- end -}}

{{/* The Deployment: (dict "root" $ "component" c "values" v "models" bool "env" list "configBody" dict "serviceAccount" name) */}}
{{- define "latent.component.deployment" -}}
{{- $gpu := include "latent.component.gpuOn" . -}}
{{- $v := .values -}}
{{- $claim := include "latent.modelStore.claimName" .root -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "latent.componentName" . }}
  labels:
    {{- include "latent.labels" . | nindent 4 }}
spec:
  {{- if not (and $v.autoscaling $v.autoscaling.enabled) }}
  replicas: {{ $v.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 3
  {{- if .trainingData }}
  # The training volume is ReadWriteOnce: the old pod lets go of it before the new one starts.
  strategy:
    type: Recreate
  {{- end }}
  selector:
    matchLabels:
      {{- include "latent.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "latent.labels" . | nindent 8 }}
      annotations:
        # A changed application.yaml rolls the pods.
        checksum/config: {{ toYaml .configBody | sha256sum }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      {{- if .serviceAccount }}
      serviceAccountName: {{ .serviceAccount }}
      automountServiceAccountToken: true
      {{- else }}
      automountServiceAccountToken: false
      {{- end }}
      {{- with .root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- range . }}
        - name: {{ . }}
        {{- end }}
      {{- end }}
      securityContext:
        {{- toYaml .root.Values.podSecurityContext | nindent 8 }}
      {{- if and $gpu $v.gpu.runtimeClassName }}
      runtimeClassName: {{ $v.gpu.runtimeClassName }}
      {{- end }}
      {{- $nodeSelector := $v.nodeSelector | default dict | deepCopy -}}
      {{- if $gpu }}{{- $nodeSelector = mustMergeOverwrite $nodeSelector (deepCopy $v.gpu.nodeSelector) -}}{{- end }}
      {{- with $nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- $tolerations := $v.tolerations | default list -}}
      {{- if $gpu }}{{- $tolerations = concat $tolerations $v.gpu.tolerations -}}{{- end }}
      {{- with $tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- range . }}
        - topologyKey: {{ .topologyKey }}
          maxSkew: {{ .maxSkew }}
          whenUnsatisfiable: {{ .whenUnsatisfiable }}
          labelSelector:
            matchLabels:
              {{- include "latent.selectorLabels" $ | nindent 14 }}
        {{- end }}
      {{- end }}
      terminationGracePeriodSeconds: 30
      containers:
        - name: {{ .component }}
          image: {{ include "latent.component.image" . }}
          imagePullPolicy: {{ default .root.Values.image.pullPolicy $v.image.pullPolicy }}
          ports:
            - name: http
              containerPort: {{ $v.port }}
              protocol: TCP
          env:
            - name: SPRING_CONFIG_ADDITIONAL_LOCATION
              value: optional:file:/config/
            - name: LATENT_HOME
              value: /data
            # Not the image's /tmp/latent: the /tmp emptyDir hides it, and a nested mount point would
            # be created root-owned. Both emptyDirs are writable by any user.
            - name: HOME
              value: /tmp
            - name: DJL_CACHE_DIR
              value: /tmp/djl
            - name: SERVER_PORT
              value: {{ $v.port | quote }}
            {{- if $gpu }}
            # DJL loads PyTorch's CUDA build into the DJL cache on first use.
            - name: PYTORCH_FLAVOR
              value: {{ $v.gpu.pytorchFlavor | quote }}
            - name: PYTORCH_VERSION
              value: {{ $v.gpu.pytorchVersion | quote }}
            {{- end }}
            {{- with .env }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
            {{- with $v.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          resources:
            {{- $resources := deepCopy $v.resources -}}
            {{- if $gpu }}
            {{- $limits := mustMergeOverwrite (default dict $resources.limits) (dict $v.gpu.resourceName $v.gpu.count) -}}
            {{- $_ := set $resources "limits" $limits -}}
            {{- end }}
            {{- include "latent.resources" $resources | trim | nindent 12 }}
          securityContext:
            {{- toYaml .root.Values.securityContext | nindent 12 }}
          startupProbe:
            httpGet:
              path: /actuator/health/liveness
              port: http
            periodSeconds: 5
            failureThreshold: {{ div (add $v.startupSeconds 4) 5 }}
          livenessProbe:
            httpGet:
              path: /actuator/health/liveness
              port: http
            periodSeconds: 10
            timeoutSeconds: 3
            failureThreshold: 3
          readinessProbe:
            httpGet:
              path: /actuator/health/readiness
              port: http
            periodSeconds: 5
            timeoutSeconds: 3
            failureThreshold: 3
          volumeMounts:
            - name: config
              mountPath: /config
              readOnly: true
            - name: tmp
              mountPath: /tmp
            - name: djl-cache
              mountPath: /tmp/djl
            - name: data
              mountPath: /data
            {{- if .models }}
            - name: models
              mountPath: /data/models
            {{- end }}
            {{- if .trainingData }}
            - name: training-data
              mountPath: /data/training
            {{- end }}
      volumes:
        - name: config
          configMap:
            name: {{ include "latent.componentName" . }}
        - name: tmp
          emptyDir:
            sizeLimit: {{ .root.Values.scratch.tmpSizeLimit }}
        - name: djl-cache
          emptyDir:
            sizeLimit: {{ .root.Values.scratch.djlCacheSizeLimit }}
        - name: data
          emptyDir:
            sizeLimit: {{ .root.Values.scratch.dataSizeLimit }}
        {{- if .models }}
        - name: models
          {{- if $claim }}
          persistentVolumeClaim:
            claimName: {{ $claim }}
          {{- else }}
          emptyDir: {}
          {{- end }}
        {{- end }}
        {{- if .trainingData }}
        {{- $trainingClaim := include "latent.training.claimName" .root }}
        - name: training-data
          {{- if $trainingClaim }}
          persistentVolumeClaim:
            claimName: {{ $trainingClaim }}
          {{- else }}
          emptyDir: {}
          {{- end }}
        {{- end }}
{{- end -}}

{{/* latent.http (global, then the component's) plus a service's own tree with the model store the
     chart mounts and any `computed` settings (user values win), and an optional `spring` tree. */}}
{{- define "latent.component.serviceConfig" -}}
{{- $chart := mustMergeOverwrite (dict "model-store" "/data/models") (deepCopy (default dict .computed)) -}}
{{- $own := mustMergeOverwrite $chart (deepCopy (default dict .values.config)) -}}
{{- $http := mustMergeOverwrite (deepCopy .root.Values.http) (deepCopy (default dict .values.http)) -}}
{{- $body := dict "server" (dict "port" .values.port) "latent" (dict "http" $http .component $own) -}}
{{- with .spring }}{{- $_ := set $body "spring" . -}}{{- end }}
{{- toYaml $body -}}
{{- end -}}
