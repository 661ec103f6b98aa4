{{- define "visio.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}

{{- define "visio.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "visio.secretName" -}}
{{- .Values.existingSecret | default (printf "%s-secrets" (include "visio.fullname" .)) -}}
{{- end -}}

{{- define "visio.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end -}}

{{- /* The Janus pool: one ws:// URL per StatefulSet pod (stable names from the headless Service). */ -}}
{{- define "visio.janusUrls" -}}
{{- $name := printf "%s-janus" (include "visio.fullname" .) -}}
{{- $urls := list -}}
{{- range $i := until (int .Values.janus.replicas) -}}
{{- $urls = append $urls (printf "ws://%s-%d.%s.%s.svc:%d" $name $i $name $.Release.Namespace (int $.Values.janus.wsPort)) -}}
{{- end -}}
{{- join "," $urls -}}
{{- end -}}
