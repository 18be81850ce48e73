{{- define "reservoir.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "reservoir.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component (web, worker, beat, migrate). */}}
{{- define "reservoir.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "reservoir.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "reservoir.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{ default (include "reservoir.fullname" .) .Values.serviceAccount.name }}
{{- else -}}
{{ default "default" .Values.serviceAccount.name }}
{{- end -}}
{{- end -}}

{{/* Non-secret settings, as a YAML map: the ConfigMap's data and the migration job's env. */}}
{{- define "reservoir.config" -}}
DEBUG: "0"
ALLOWED_HOSTS: {{ join "," .Values.config.allowedHosts | quote }}
CSRF_TRUSTED_ORIGINS: {{ .Values.config.siteUrl | quote }}
SITE_URL: {{ .Values.config.siteUrl | quote }}
TIME_ZONE: {{ .Values.config.timeZone | quote }}
LOG_FORMAT: {{ .Values.config.logFormat | quote }}
LOG_LEVEL: {{ .Values.config.logLevel | quote }}
LOCAL_LOGIN_ENABLED: {{ ternary "1" "0" .Values.config.localLoginEnabled | quote }}
TRUST_X_FORWARDED_FOR: {{ ternary "1" "0" .Values.config.trustXForwardedFor | quote }}
SECURE_HSTS_SECONDS: {{ .Values.config.hstsSeconds | int64 | quote }}
DB_CONN_MAX_AGE: {{ .Values.database.connMaxAge | int64 | quote }}
OIDC_ISSUER: {{ .Values.keycloak.issuer | quote }}
OIDC_RP_CLIENT_ID: {{ .Values.keycloak.clientId | quote }}
OIDC_API_AUDIENCE: {{ join "," .Values.keycloak.apiAudience | quote }}
OIDC_ADMIN_ROLE: {{ .Values.keycloak.adminRole | quote }}
WEBHOOK_ALLOWED_NETWORKS: {{ join "," .Values.config.webhookAllowedNetworks | quote }}
METRICS_ALLOWED_NETWORKS: {{ join "," .Values.config.metricsAllowedNetworks | quote }}
DEFAULT_FROM_EMAIL: {{ .Values.config.defaultFromEmail | quote }}
{{- if .Values.email.host }}
EMAIL_BACKEND: "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST: {{ .Values.email.host | quote }}
EMAIL_PORT: {{ .Values.email.port | int64 | quote }}
EMAIL_USE_TLS: {{ ternary "1" "0" .Values.email.useTls | quote }}
{{- end }}
CELERY_BEAT_SCHEDULE_FILENAME: "/tmp/celerybeat-schedule"
{{- range $name, $value := .Values.config.extra }}
{{ $name }}: {{ $value | toString | quote }}
{{- end }}
{{- end -}}

{{/* Secrets, referenced by name and key: the chart never holds their values. */}}
{{- define "reservoir.secretEnv" -}}
- name: SECRET_KEY
  valueFrom: {secretKeyRef: {name: {{ .Values.appSecret.existingSecret }}, key: {{ .Values.appSecret.secretKeyKey }}}}
- name: METRICS_TOKEN
  valueFrom: {secretKeyRef: {name: {{ .Values.appSecret.existingSecret }}, key: {{ .Values.appSecret.metricsTokenKey }}, optional: true}}
- name: DATABASE_URL
  valueFrom: {secretKeyRef: {name: {{ .Values.database.existingSecret }}, key: {{ .Values.database.urlKey }}}}
- name: CELERY_BROKER_URL
  valueFrom: {secretKeyRef: {name: {{ .Values.redis.existingSecret }}, key: {{ .Values.redis.urlKey }}}}
- name: OIDC_RP_CLIENT_SECRET
  valueFrom: {secretKeyRef: {name: {{ .Values.keycloak.existingSecret }}, key: {{ .Values.keycloak.clientSecretKey }}}}
{{- if .Values.email.existingSecret }}
- name: EMAIL_HOST_USER
  valueFrom: {secretKeyRef: {name: {{ .Values.email.existingSecret }}, key: EMAIL_HOST_USER}}
- name: EMAIL_HOST_PASSWORD
  valueFrom: {secretKeyRef: {name: {{ .Values.email.existingSecret }}, key: EMAIL_HOST_PASSWORD}}
{{- end }}
{{- end -}}

{{/* The pod-level pieces every component shares. */}}
{{- define "reservoir.podCommon" -}}
automountServiceAccountToken: false
{{- if not .hook }}
serviceAccountName: {{ include "reservoir.serviceAccountName" .root }}
{{- end }}
securityContext:
  {{- toYaml .root.Values.podSecurityContext | nindent 2 }}
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .root.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .root.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .root.Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  - name: tmp
    emptyDir: {}
{{- end -}}

{{/* Container pieces: image, a writable /tmp, settings from the ConfigMap, secrets. `env` comes
last so that a component can append its own variables right after the include. */}}
{{- define "reservoir.containerCommon" -}}
image: {{ include "reservoir.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
volumeMounts:
  - name: tmp
    mountPath: /tmp
envFrom:
  - configMapRef:
      name: {{ include "reservoir.fullname" . }}
env:
  {{- include "reservoir.secretEnv" . | nindent 2 }}
{{- end -}}

{{- define "reservoir.podAnnotations" -}}
checksum/config: {{ include "reservoir.config" . | sha256sum }}
{{- with .Values.podAnnotations }}
{{ toYaml . }}
{{- end }}
{{- end -}}
