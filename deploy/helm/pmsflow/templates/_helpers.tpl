{{/*
Chart name, truncated to 63 characters.
*/}}
{{- define "pmsflow.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Full name of the release's resources: <release>-<chart>, or <release> when it already holds
the chart name.
*/}}
{{- define "pmsflow.fullname" -}}
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

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "pmsflow.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Selector labels of every resource of the release (a role adds app.kubernetes.io/component).
*/}}
{{- define "pmsflow.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pmsflow.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
Standard labels, with commonLabels.
*/}}
{{- define "pmsflow.labels" -}}
helm.sh/chart: {{ include "pmsflow.chart" . }}
{{ include "pmsflow.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
commonAnnotations as a metadata block, or nothing (call it through `with`).
*/}}
{{- define "pmsflow.annotations" -}}
{{- with .Values.commonAnnotations -}}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end -}}
{{- end -}}

{{/*
The image reference.
*/}}
{{- define "pmsflow.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion -}}
{{- if .Values.image.registry -}}
{{- printf "%s/%s:%s" .Values.image.registry .Values.image.repository $tag -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/*
The port of a host:port bind address (api.bind, admin.bind), as a number.
*/}}
{{- define "pmsflow.bindPort" -}}
{{- $parts := splitList ":" (toString .) -}}
{{- last $parts | int -}}
{{- end -}}

{{/*
One setting's value as pmsflow reads it from the environment: lists as ["a","b"], whole
numbers without an exponent, anything else as its text.
*/}}
{{- define "pmsflow.envValue" -}}
{{- if kindIs "slice" . -}}
{{- $items := list -}}
{{- range . -}}
{{- $items = append $items (printf "%q" (toString .)) -}}
{{- end -}}
{{- printf "[%s]" (join "," $items) -}}
{{- else if kindIs "float64" . -}}
{{- if eq (float64 (int64 .)) . -}}
{{- int64 . -}}
{{- else -}}
{{- . -}}
{{- end -}}
{{- else -}}
{{- toString . -}}
{{- end -}}
{{- end -}}

{{/*
The settings of .Values.config as environment variables PMSFLOW_<SECTION>__<KEY>, one
`NAME: "value"` line each, sorted. A null or "" value is left out (the default applies); a
table value (scheduler.schedules, roles entries) gives one variable per entry.
*/}}
{{- define "pmsflow.configData" -}}
{{- range $section, $keys := .Values.config }}
{{- range $key, $value := $keys }}
{{- if kindIs "map" $value }}
{{- range $entry, $v := $value }}
{{- if not (or (kindIs "invalid" $v) (eq (toString $v) "")) }}
{{ printf "PMSFLOW_%s__%s__%s" $section $key $entry | upper }}: {{ include "pmsflow.envValue" $v | quote }}
{{- end }}
{{- end }}
{{- else if not (or (kindIs "invalid" $value) (eq (toString $value) "")) }}
{{ printf "PMSFLOW_%s__%s" $section $key | upper }}: {{ include "pmsflow.envValue" $value | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- if .Values.configFile }}
PMSFLOW_CONFIG: "/etc/pmsflow/config/pmsflow.toml"
{{- end }}
{{- end -}}

{{/*
The secrets as env entries (secretKeyRef).
*/}}
{{- define "pmsflow.secretEnv" -}}
- name: PMSFLOW_DATABASE__URL
  valueFrom:
    secretKeyRef:
      name: {{ required "secrets.databaseUrl.existingSecret is required" .Values.secrets.databaseUrl.existingSecret }}
      key: {{ required "secrets.databaseUrl.key is required" .Values.secrets.databaseUrl.key }}
- name: PMSFLOW_REDIS__URL
  valueFrom:
    secretKeyRef:
      name: {{ required "secrets.redisUrl.existingSecret is required" .Values.secrets.redisUrl.existingSecret }}
      key: {{ required "secrets.redisUrl.key is required" .Values.secrets.redisUrl.key }}
- name: PMSFLOW_MOSIP__SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ required "secrets.mosipSecretKey.existingSecret is required" .Values.secrets.mosipSecretKey.existingSecret }}
      key: {{ required "secrets.mosipSecretKey.key is required" .Values.secrets.mosipSecretKey.key }}
- name: PMSFLOW_CONSOLE__CSRF_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ required "secrets.csrfSecret.existingSecret is required" .Values.secrets.csrfSecret.existingSecret }}
      key: {{ required "secrets.csrfSecret.key is required" .Values.secrets.csrfSecret.key }}
{{- end -}}

{{/*
Checks of the values that would otherwise fail at start-up, in every pod at once.
*/}}
{{- define "pmsflow.validate" -}}
{{- $c := .Values.config -}}
{{- range $bind := list "api" "admin" }}
{{- $addr := toString (index (index $c $bind) "bind") }}
{{- if or (hasPrefix "127." $addr) (hasPrefix "localhost" $addr) (hasPrefix "[::1]" $addr) }}
{{- fail (printf "config.%s.bind is %s: a loopback address cannot be probed or scraped; use 0.0.0.0:<port>" $bind $addr) }}
{{- end }}
{{- end }}
{{- if ne (toString $c.mosip.mode) "mosip" }}
{{- fail "config.mosip.mode must be \"mosip\": the in-process sandbox cannot be shared by separate pods" }}
{{- end }}
{{- range $key := list "authmanager_url" "keymanager_url" "datashare_url" "websub_url" "notifier_url" "auditmanager_url" "esignet_url" }}
{{- $_ := required (printf "config.mosip.%s is required (mosip.mode = \"mosip\")" $key) (index $c.mosip $key) }}
{{- end }}
{{- if eq (toString $c.auth.mode) "jwks" }}
{{- $_ := required "config.auth.jwks_url is required (auth.mode = \"jwks\"): the realm's https JWKS URL" $c.auth.jwks_url }}
{{- $_ := required "config.auth.issuer is required (auth.mode = \"jwks\"): the realm URL in the tokens' iss" $c.auth.issuer }}
{{- if not $c.auth.audience }}
{{- fail "config.auth.audience needs at least one value (auth.mode = \"jwks\")" }}
{{- end }}
{{- end }}
{{- range $path := list "database.url" "redis.url" "mosip.secret_key" "console.csrf_secret" "auth.dev_secret" }}
{{- $parts := splitList "." $path }}
{{- if index (index $c (first $parts) | default dict) (last $parts) }}
{{- fail (printf "config.%s is a secret: set it through secrets (or extraEnv with valueFrom), not config" $path) }}
{{- end }}
{{- end }}
{{- if ge (int .Values.api.preStopSleepSeconds) (int .Values.terminationGraceMarginSeconds) }}
{{- fail "api.preStopSleepSeconds must be below terminationGraceMarginSeconds" }}
{{- end }}
{{- end -}}

{{/*
terminationGracePeriodSeconds: admin.shutdown_grace_s plus the margin.
*/}}
{{- define "pmsflow.terminationGracePeriodSeconds" -}}
{{- add (int .Values.config.admin.shutdown_grace_s) (int .Values.terminationGraceMarginSeconds) -}}
{{- end -}}

{{/*
The pod template of one role. Call with (dict "ctx" $ "role" "api").
*/}}
{{- define "pmsflow.podTemplate" -}}
{{- $ctx := .ctx -}}
{{- $role := .role -}}
{{- $values := index $ctx.Values $role -}}
metadata:
  labels:
    {{- include "pmsflow.selectorLabels" $ctx | nindent 4 }}
    app.kubernetes.io/component: {{ $role }}
    {{- with $ctx.Values.commonLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    {{- with $ctx.Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    checksum/config: {{ include (print $ctx.Template.BasePath "/configmap.yaml") $ctx | sha256sum }}
    {{- with $values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  {{- with $ctx.Values.image.pullSecrets }}
  imagePullSecrets:
    {{- range . }}
    - name: {{ . }}
    {{- end }}
  {{- end }}
  {{- with $ctx.Values.serviceAccountName }}
  serviceAccountName: {{ . }}
  {{- end }}
  automountServiceAccountToken: false
  {{- with $ctx.Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  terminationGracePeriodSeconds: {{ include "pmsflow.terminationGracePeriodSeconds" $ctx }}
  securityContext:
    {{- toYaml $ctx.Values.podSecurityContext | nindent 4 }}
  containers:
    - name: pmsflow
      image: {{ include "pmsflow.image" $ctx }}
      imagePullPolicy: {{ $ctx.Values.image.pullPolicy }}
      args: ["serve", "--roles", {{ $role | quote }}]
      ports:
        {{- if eq $role "api" }}
        - name: http
          containerPort: {{ include "pmsflow.bindPort" $ctx.Values.config.api.bind }}
          protocol: TCP
        {{- end }}
        - name: admin
          containerPort: {{ include "pmsflow.bindPort" $ctx.Values.config.admin.bind }}
          protocol: TCP
      envFrom:
        - configMapRef:
            name: {{ include "pmsflow.fullname" $ctx }}
        {{- with $ctx.Values.extraEnvFrom }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      env:
        {{- include "pmsflow.secretEnv" $ctx | nindent 8 }}
        {{- with $ctx.Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      startupProbe:
        httpGet:
          path: /health/live
          port: admin
        periodSeconds: {{ $ctx.Values.probes.startup.periodSeconds }}
        failureThreshold: {{ $ctx.Values.probes.startup.failureThreshold }}
      livenessProbe:
        httpGet:
          path: /health/live
          port: admin
        periodSeconds: {{ $ctx.Values.probes.liveness.periodSeconds }}
        timeoutSeconds: {{ $ctx.Values.probes.liveness.timeoutSeconds }}
        failureThreshold: {{ $ctx.Values.probes.liveness.failureThreshold }}
      readinessProbe:
        httpGet:
          path: /health/ready
          port: admin
        periodSeconds: {{ $ctx.Values.probes.readiness.periodSeconds }}
        timeoutSeconds: {{ $ctx.Values.probes.readiness.timeoutSeconds }}
        failureThreshold: {{ $ctx.Values.probes.readiness.failureThreshold }}
      {{- if and (eq $role "api") (gt (int $values.preStopSleepSeconds) 0) }}
      lifecycle:
        preStop:
          exec:
            command: ["sleep", {{ int $values.preStopSleepSeconds | toString | quote }}]
      {{- end }}
      resources:
        {{- toYaml $values.resources | nindent 8 }}
      securityContext:
        {{- toYaml $ctx.Values.containerSecurityContext | nindent 8 }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
        {{- if $ctx.Values.configFile }}
        - name: config-file
          mountPath: /etc/pmsflow/config
          readOnly: true
        {{- end }}
        {{- with $ctx.Values.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  volumes:
    - name: tmp
      emptyDir:
        sizeLimit: 64Mi
    {{- if $ctx.Values.configFile }}
    - name: config-file
      configMap:
        name: {{ include "pmsflow.fullname" $ctx }}-file
    {{- end }}
    {{- with $ctx.Values.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with $ctx.Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $ctx.Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $ctx.Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $ctx.Values.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- range . }}
    - {{- toYaml (omit . "labelSelector") | nindent 6 }}
      labelSelector:
        {{- if .labelSelector }}
        {{- toYaml .labelSelector | nindent 8 }}
        {{- else }}
        matchLabels:
          {{- include "pmsflow.selectorLabels" $ctx | nindent 10 }}
          app.kubernetes.io/component: {{ $role }}
        {{- end }}
    {{- end }}
  {{- end }}
{{- end -}}
