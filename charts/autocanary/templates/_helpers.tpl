{{/* Resource name prefix: the release name, plus the chart's name unless it is in it. */}}
{{- define "autocanary.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "autocanary.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "autocanary.labels" -}}
app.kubernetes.io/name: {{ include "autocanary.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Selector labels of one component: include with (list $ "webhook"). */}}
{{- define "autocanary.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "autocanary.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "autocanary.webhookName" -}}{{ include "autocanary.fullname" . }}-webhook{{- end -}}
{{- define "autocanary.coordinatorName" -}}{{ include "autocanary.fullname" . }}-coordinator{{- end -}}
{{- define "autocanary.webhookConfigurationName" -}}{{ include "autocanary.fullname" . }}{{- end -}}

{{- define "autocanary.secretName" -}}
{{- default (printf "%s-webhook-tls" (include "autocanary.fullname" .)) .Values.certificates.secretName -}}
{{- end -}}

{{/* The identity the webhook lets through untouched: the coordinator's ServiceAccount. */}}
{{- define "autocanary.coordinatorUsername" -}}
system:serviceaccount:{{ .Release.Namespace }}:{{ include "autocanary.coordinatorName" . }}
{{- end -}}

{{- define "autocanary.image" -}}
{{- $root := index . 0 -}}
{{- printf "%s/%s:%s" $root.Values.image.registry (index . 1).repository (default $root.Chart.AppVersion $root.Values.image.tag) -}}
{{- end -}}

{{/* Names the serving certificate must carry: the Service's, in every form the apiserver may use. */}}
{{- define "autocanary.webhookDNSNames" -}}
{{- $svc := include "autocanary.webhookName" . -}}
{{- $names := list $svc (printf "%s.%s" $svc .Release.Namespace) (printf "%s.%s.svc" $svc .Release.Namespace) (printf "%s.%s.svc.cluster.local" $svc .Release.Namespace) -}}
{{- concat $names .Values.certificates.selfManaged.extraDNSNames | toJson -}}
{{- end -}}

{{- define "autocanary.validate" -}}
{{- $modes := list "selfManaged" "certManager" "secret" -}}
{{- if not (has .Values.certificates.mode $modes) -}}
{{- fail (printf "certificates.mode must be one of %s, not %q" (join ", " $modes) .Values.certificates.mode) -}}
{{- end -}}
{{- if not (has .Values.webhook.failurePolicy (list "Fail" "Ignore")) -}}
{{- fail "webhook.failurePolicy must be Fail or Ignore" -}}
{{- end -}}
{{- if and (eq .Values.certificates.mode "secret") (not .Values.certificates.secret.caBundle) -}}
{{- fail "certificates.mode=secret needs certificates.secret.caBundle (and certificates.secretName)" -}}
{{- end -}}
{{- if and .Values.webhook.externalURL (eq .Values.certificates.mode "certManager") -}}
{{- fail "webhook.externalURL: cert-manager cannot inject a CA into a URL webhook it serves no Secret for; use selfManaged or secret" -}}
{{- end -}}
{{- end -}}

{{/* Where the apiserver sends reviews: the webhook's Service, or an external URL. */}}
{{- define "autocanary.webhookClientConfig" -}}
{{- if .Values.webhook.externalURL }}
url: {{ .Values.webhook.externalURL | quote }}
{{- else }}
service:
  name: {{ include "autocanary.webhookName" . }}
  namespace: {{ .Release.Namespace }}
  path: /mutate
  port: 443
{{- end }}
{{- if eq .Values.certificates.mode "secret" }}
caBundle: {{ .Values.certificates.secret.caBundle }}
{{- end }}
{{- /* selfManaged: the webhook fills caBundle in; certManager: cainjector does. */}}
{{- end -}}
