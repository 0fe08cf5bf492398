{{/* Names, labels and connection settings shared by the templates. */}}

{{- define "riir.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "riir.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- with .Values.environment }}
riir-airflow.io/environment: {{ . }}
{{- end }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels: call with (dict "root" $ "component" "broker"). */}}
{{- define "riir.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "riir.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/* A DAG entry's resource name suffix; call with the entry. */}}
{{- define "riir.dagName" -}}
{{- printf "dag-%s" .name | trunc 50 | trimSuffix "-" -}}
{{- end -}}

{{/* The DAG ids an entry's file defines. */}}
{{- define "riir.dagIds" -}}
{{- toJson (.dagIds | default (list .name)) -}}
{{- end -}}

{{- define "riir.dagServiceAccount" -}}
{{- $sa := .dag.serviceAccount | default dict -}}
{{- $sa.name | default (printf "%s-%s" (include "riir.fullname" .root) (include "riir.dagName" .dag)) -}}
{{- end -}}

{{/* Where the owner's login lives: the bundled server's Secret or externalDatabase.existingSecret. */}}
{{- define "riir.ownerSecret" -}}
{{- if .Values.postgresql.enabled -}}
{{- .Values.postgresql.existingSecret | default (printf "%s-postgresql" (include "riir.fullname" .)) -}}
{{- else -}}
{{- required "externalDatabase.existingSecret is required when postgresql.enabled is false" .Values.externalDatabase.existingSecret -}}
{{- end -}}
{{- end -}}

{{- define "riir.dbHost" -}}
{{- if .Values.postgresql.enabled -}}
{{- printf "%s-postgresql" (include "riir.fullname" .) -}}
{{- else -}}
{{- required "externalDatabase.host is required when postgresql.enabled is false" .Values.externalDatabase.host -}}
{{- end -}}
{{- end -}}

{{- define "riir.dbPort" -}}
{{- if .Values.postgresql.enabled -}}5432{{- else -}}{{ .Values.externalDatabase.port }}{{- end -}}
{{- end -}}

{{- define "riir.dbName" -}}
{{- if .Values.postgresql.enabled -}}{{ .Values.postgresql.database }}{{- else -}}{{ .Values.externalDatabase.database }}{{- end -}}
{{- end -}}

{{/* Host and port the broker and apps connect to: this release's pgbouncer, another release's, or the database. */}}
{{- define "riir.poolerHost" -}}
{{- if .Values.pgbouncer.enabled -}}
{{- printf "%s-pgbouncer" (include "riir.fullname" .) -}}
{{- else -}}
{{- .Values.externalPooler.host | default (include "riir.dbHost" .) -}}
{{- end -}}
{{- end -}}

{{- define "riir.poolerPort" -}}
{{- if .Values.pgbouncer.enabled -}}
{{- .Values.pgbouncer.port -}}
{{- else if .Values.externalPooler.host -}}
{{- .Values.externalPooler.port -}}
{{- else -}}
{{- include "riir.dbPort" . -}}
{{- end -}}
{{- end -}}

{{/* Environment with the owner's connection, composed from the Secret by Kubernetes ($(VAR) expansion).
     Only the hook Jobs use it; the password must be URL-safe (generated ones are). */}}
{{- define "riir.ownerEnv" -}}
- name: DB_OWNER_USER
  valueFrom: {secretKeyRef: {name: {{ include "riir.ownerSecret" . }}, key: username}}
- name: DB_OWNER_PASSWORD
  valueFrom: {secretKeyRef: {name: {{ include "riir.ownerSecret" . }}, key: password}}
- name: AIRFLOW__DATABASE__SQL_ALCHEMY_CONN
  value: {{ printf "postgresql://$(DB_OWNER_USER):$(DB_OWNER_PASSWORD)@%s:%s/%s" (include "riir.dbHost" .) (include "riir.dbPort" .) (include "riir.dbName" .) | quote }}
{{- end -}}

{{/* Settings every riir-airflow container gets (no credentials). */}}
{{- define "riir.commonEnv" -}}
- name: AIRFLOW_HOME
  value: /opt/airflow
- name: RIIR_AIRFLOW_COMPAT
  value: "1"
{{- with .Values.environment }}
- name: AIRFLOW__RIIR__ENVIRONMENT
  value: {{ . | quote }}
{{- end }}
{{- with .Values.deployedBy }}
- name: AIRFLOW__RIIR__DEPLOYED_BY
  value: {{ . | quote }}
{{- end }}
{{- with .Values.env }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* A DAG id as this release registers it: test deploys prefix the environment. */}}
{{- define "riir.envDagId" -}}
{{- if .root.Values.environment -}}{{ printf "%s.%s" .root.Values.environment .dagId }}{{- else -}}{{ .dagId }}{{- end -}}
{{- end -}}

{{- define "riir.podSecurityContext" -}}
{{ toYaml .Values.podSecurityContext }}
{{- end -}}

{{- define "riir.containerSecurityContext" -}}
{{ toYaml .Values.containerSecurityContext }}
{{- end -}}

{{/* The broker's login: its own Secret, or the owner's through the pooler (see broker.existingSecret). */}}
{{- define "riir.brokerDbEnv" -}}
{{- if .Values.broker.existingSecret -}}
- name: AIRFLOW__DATABASE__SQL_ALCHEMY_CONN
  valueFrom: {secretKeyRef: {name: {{ .Values.broker.existingSecret }}, key: connection}}
{{- else -}}
- name: DB_OWNER_USER
  valueFrom: {secretKeyRef: {name: {{ include "riir.ownerSecret" . }}, key: username}}
- name: DB_OWNER_PASSWORD
  valueFrom: {secretKeyRef: {name: {{ include "riir.ownerSecret" . }}, key: password}}
- name: AIRFLOW__DATABASE__SQL_ALCHEMY_CONN
  value: {{ printf "postgresql://$(DB_OWNER_USER):$(DB_OWNER_PASSWORD)@%s:%s/%s" (include "riir.poolerHost" .) (include "riir.poolerPort" .) (include "riir.dbName" .) | quote }}
{{- end -}}
{{- end -}}

{{/* "true" when any DAG launches pods. */}}
{{- define "riir.anyLaunchesPods" -}}
{{- range .Values.dags }}{{ if .launchesPods }}true{{ end }}{{ end -}}
{{- end -}}

{{- define "riir.dnsEgress" -}}
- to:
    - namespaceSelector:
        matchLabels: {{- toYaml .Values.networkPolicies.dns.namespaceSelector | nindent 10 }}
      podSelector:
        matchLabels: {{- toYaml .Values.networkPolicies.dns.podSelector | nindent 10 }}
  ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
{{- end -}}
{{- /* Egress to the pooler (or to the database when this release runs no pooler). */}}
{{- define "riir.poolerEgress" -}}
{{- if .Values.pgbouncer.enabled -}}
- to:
    - podSelector:
        matchLabels: {{- include "riir.selector" (dict "root" . "component" "pgbouncer") | nindent 10 }}
  ports:
    - {protocol: TCP, port: {{ .Values.pgbouncer.port }}}
{{- else if .Values.externalPooler.host -}}
# Production's pooler (a test deploy): any riir-airflow pgbouncer in this namespace.
- to:
    - podSelector:
        matchLabels:
          app.kubernetes.io/name: {{ .Chart.Name }}
          app.kubernetes.io/component: pgbouncer
  ports:
    - {protocol: TCP, port: {{ .Values.externalPooler.port }}}
{{- else -}}
{{- include "riir.databaseEgress" . }}
{{- end -}}
{{- end -}}
{{- define "riir.databaseEgress" -}}
{{- if .Values.postgresql.enabled -}}
- to:
    - podSelector:
        matchLabels: {{- include "riir.selector" (dict "root" . "component" "postgresql") | nindent 10 }}
  ports:
    - {protocol: TCP, port: 5432}
{{- else -}}
- to:
    {{- range .Values.networkPolicies.externalDatabaseCidrs }}
    - ipBlock: {cidr: {{ . }}}
    {{- end }}
  ports:
    - {protocol: TCP, port: {{ .Values.externalDatabase.port }}}
{{- end -}}
{{- end -}}

{{/* The image a DAG app runs, repository:tag (args: dict "root" $ "dag" $dag). The app records it with its DAG
versions and the role-setup Job pins its database role to it. */}}
{{- define "riir.dagImage" -}}
{{- $image := .dag.image | default dict -}}
{{- printf "%s:%s" ($image.repository | default .root.Values.image.repository) ($image.tag | default (.root.Values.image.tag | default .root.Chart.AppVersion)) -}}
{{- end -}}
