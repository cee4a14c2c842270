// The REST API of the gateway that serves the console (same origin), with the caller's
// credential as a Bearer token. Errors are the service's google.rpc.Status as JSON.

const ERROR_INFO = 'type.googleapis.com/google.rpc.ErrorInfo';
const RECONNECT_DETAILS = 'type.googleapis.com/switchboard.v1.ReconnectDetails';

export class ApiError extends Error {
  constructor(httpStatus, status) {
    super(status.message || `HTTP ${httpStatus}`);
    this.httpStatus = httpStatus;
    this.details = status.details || [];
    this.reason = this.detail(ERROR_INFO)?.reason || '';
  }

  detail(type) {
    return this.details.find((d) => d['@type'] === type);
  }

  // ReconnectDetails of a duplicate install (409 ALREADY_EXISTS), if any.
  get reconnect() {
    return this.httpStatus === 409 ? this.detail(RECONNECT_DETAILS) : undefined;
  }

  toString() {
    return this.reason ? `${this.message} (${this.reason}, HTTP ${this.httpStatus})` : `${this.message} (HTTP ${this.httpStatus})`;
  }
}

export function client(credential) {
  async function call(method, path, body) {
    const headers = { Authorization: `Bearer ${credential}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    let json = {};
    try { json = text ? JSON.parse(text) : {}; } catch { json = { message: text.trim() }; }
    if (!response.ok) throw new ApiError(response.status, json);
    return json;
  }
  const q = (params) => new URLSearchParams(params).toString();
  const id = encodeURIComponent;
  return {
    listIntegrations: (teamId) => call('GET', `/v1/integrations?${q({ teamId, pageSize: 100 })}`),
    startSlackOAuth: (teamId) => call('POST', '/v1/integrations:startSlackOAuth', { teamId }),
    completeSlackOAuth: (code, state) => call('POST', '/v1/integrations:completeSlackOAuth', { code, state }),
    reconnect: (integrationId, reconnectToken) =>
      call('POST', `/v1/integrations/${id(integrationId)}:reconnect`, { reconnectToken }),
    listChannels: (integrationId, nameQuery) =>
      call('GET', `/v1/integrations/${id(integrationId)}/channels?${q({ nameQuery, pageSize: 50 })}`),
    setNotificationChannel: (integrationId, channelId) =>
      call('PUT', `/v1/integrations/${id(integrationId)}/notificationChannel`, { channelId }),
    sendMessage: (integrationId, text) =>
      call('POST', `/v1/integrations/${id(integrationId)}/messages`, { message: { text }, waitForDelivery: false }),
    reply: (integrationId, parentId, text) =>
      call('POST', `/v1/integrations/${id(integrationId)}/messages/${id(parentId)}:reply`, { message: { text }, waitForDelivery: false }),
    getDelivery: (deliveryId) => call('GET', `/v1/deliveries/${id(deliveryId)}`),
    dashboard: (teamId) => call('GET', `/v1/stats/dashboard?${q({ teamId })}`),
  };
}

// The team a team JWT names (its `team_id` claim), or '' for anything else (a service key).
export function jwtTeam(credential) {
  const parts = credential.split('.');
  if (parts.length !== 3) return '';
  try {
    const payload = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const claims = JSON.parse(atob(payload.padEnd(payload.length + ((4 - (payload.length % 4)) % 4), '=')));
    return typeof claims.team_id === 'string' ? claims.team_id : '';
  } catch {
    return '';
  }
}
