// run.mjs: evaluates trellis evaluation documents with @cloud-copilot/iam-simulate.
//
// Input: one evaluation document (trellis's format, see docs/iam-differential.md) per line
// on stdin. Output: one JSON line per input line, in order:
//
//   {"decision": "Allow" | "ImplicitDeny" | "ExplicitDeny"}
//   {"error": "..."}            when the case could not be simulated faithfully
//
// A case is reported as an error, never as a decision, when iam-simulate rejects it
// (policy validation, unknown action, resource that matches no resource type, ...) or
// when iam-simulate would silently evaluate a different request than trellis: a context
// key it drops because the action does not support it, or a value whose shape (string or
// list) differs from the key's type, which it would coerce.
//
// With --explain each output line also carries "detail": iam-simulate's analysis.
//
// iam-simulate is AGPL-licensed: it is installed from npm at test time (package.json pins
// the version) and is never copied into this repository.

import { createInterface } from 'node:readline'
import {
  anonymousPrincipal,
  isConditionKeyArray,
  runSimulation,
  typeForContextKey
} from '@cloud-copilot/iam-simulate'

const explain = process.argv.includes('--explain')

const rank = { Allow: 0, ImplicitDeny: 1, ExplicitDeny: 2 }

const decisions = {
  Allowed: 'Allow',
  ImplicitlyDenied: 'ImplicitDeny',
  ExplicitlyDenied: 'ExplicitDeny'
}

function named(prefix, policies) {
  return (policies ?? []).map((policy, i) => ({ name: `${prefix}${i}`, policy }))
}

function orgLevels(prefix, levels, dropRcpFullAccess) {
  return (levels ?? []).map((level, i) => ({
    orgIdentifier: level.target,
    policies: named(
      `${prefix}${i}-`,
      (level.policies ?? []).filter((p) => !(dropRcpFullAccess && isRcpFullAWSAccess(p)))
    )
  }))
}

// RCPFullAWSAccess, the AWS-managed RCP attached to every root, OU and account, allows
// everything. iam-simulate adds it to every RCP level itself and rejects Allow statements
// in RCPs, so an exact copy of it in a document is dropped.
function isRcpFullAWSAccess(policy) {
  if (typeof policy !== 'object' || policy === null) {
    return false
  }
  const keys = Object.keys(policy).filter((k) => k !== 'Version' && k !== 'Id')
  if (keys.length !== 1 || keys[0] !== 'Statement') {
    return false
  }
  const statements = [policy.Statement].flat()
  if (statements.length !== 1) {
    return false
  }
  const s = statements[0]
  const one = (v) => v === '*' || (Array.isArray(v) && v.length === 1 && v[0] === '*')
  const sk = Object.keys(s).filter((k) => k !== 'Sid')
  return (
    sk.length === 4 &&
    s.Effect === 'Allow' &&
    (s.Principal === '*' || (typeof s.Principal === 'object' && s.Principal !== null && Object.keys(s.Principal).length === 1 && one(s.Principal.AWS))) &&
    one(s.Action) &&
    one(s.Resource)
  )
}

/**
 * Converts one trellis evaluation document to an iam-simulate Simulation.
 */
export function toSimulation(doc) {
  const req = doc.request ?? {}
  const sim = {
    request: {
      principal: req.principal === 'anonymous' ? anonymousPrincipal : req.principal,
      action: req.action,
      resource: { resource: req.resource, accountId: req.resourceAccount },
      contextVariables: req.context ?? {}
    },
    identityPolicies: named('identity-', doc.identityPolicies),
    serviceControlPolicies: orgLevels('scp-', doc.serviceControlPolicies, false),
    resourceControlPolicies: orgLevels('rcp-', doc.resourceControlPolicies, true)
  }
  if (doc.resourcePolicy !== undefined && doc.resourcePolicy !== null) {
    sim.resourcePolicy = doc.resourcePolicy
  }
  if (doc.sessionPolicy !== undefined && doc.sessionPolicy !== null) {
    sim.sessionPolicy = doc.sessionPolicy
  }
  if (doc.permissionsBoundaries?.length) {
    sim.permissionBoundaryPolicies = named('boundary-', doc.permissionsBoundaries)
  }
  if (doc.endpointPolicies?.length) {
    sim.vpcEndpointPolicies = named('endpoint-', doc.endpointPolicies)
  }
  return sim
}

// Checks that every context value has the shape its key's type calls for, so that
// iam-simulate does not coerce it (it keeps only the first element of a list given for a
// single-valued key, and wraps a string given for a multivalued key).
async function contextShapeErrors(context) {
  const errors = []
  for (const [key, value] of Object.entries(context ?? {})) {
    if (typeof value !== 'string' && !Array.isArray(value)) {
      errors.push(`${key}: value must be a string or a list of strings`)
      continue
    }
    if (Array.isArray(value) && value.some((v) => typeof v !== 'string')) {
      errors.push(`${key}: list values must be strings`)
      continue
    }
    let type
    try {
      type = await typeForContextKey(key.toLowerCase())
    } catch (e) {
      errors.push(`${key}: unknown context key (${e.message})`)
      continue
    }
    const multi = isConditionKeyArray(type)
    if (multi && !Array.isArray(value)) {
      errors.push(`${key}: multivalued key (${type}) given a single string`)
    } else if (!multi && Array.isArray(value)) {
      errors.push(`${key}: single-valued key (${type}) given a list`)
    }
  }
  return errors
}

const documentMembers = new Set([
  'identityPolicies',
  'resourcePolicy',
  'endpointPolicies',
  'sessionPolicy',
  'permissionsBoundaries',
  'serviceControlPolicies',
  'resourceControlPolicies',
  'request',
  'description',
  'expect'
])
const requestMembers = new Set(['principal', 'action', 'resource', 'resourceAccount', 'context'])

export async function evaluate(doc) {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    return { error: 'document must be a JSON object' }
  }
  const unknown = Object.keys(doc).filter((k) => !documentMembers.has(k))
  if (typeof doc.request !== 'object' || doc.request === null) {
    return { error: 'document has no request object' }
  }
  unknown.push(...Object.keys(doc.request).filter((k) => !requestMembers.has(k)).map((k) => `request.${k}`))
  if (unknown.length > 0) {
    return { error: `unknown document members: ${unknown.join(', ')}` }
  }
  const shape = await contextShapeErrors(doc.request?.context)
  if (shape.length > 0) {
    return { error: `context: ${shape.join('; ')}` }
  }
  // Every endpoint policy must allow. iam-simulate treats its vpcEndpointPolicies as the
  // policies of one endpoint, any of which may allow; so with several, each is simulated
  // alone and the most restrictive decision is kept (the endpoint policies are the only
  // part of the evaluation that differs between those runs).
  const endpoints = doc.endpointPolicies ?? []
  if (endpoints.length > 1) {
    let worst
    for (const ep of endpoints) {
      const out = await evaluate({ ...doc, endpointPolicies: [ep] })
      if (out.error) {
        return out
      }
      if (!worst || rank[out.decision] > rank[worst.decision]) {
        worst = out
      }
    }
    return worst
  }
  const result = await runSimulation(toSimulation(doc), { simulationMode: 'Strict' })
  if (result.resultType === 'error') {
    return { error: `iam-simulate: ${JSON.stringify(result.errors)}` }
  }
  if (result.resultType !== 'single') {
    return { error: `iam-simulate: unexpected result type ${result.resultType}` }
  }
  const ignored = result.result.ignoredContextKeys ?? []
  if (ignored.length > 0) {
    return {
      error: `iam-simulate drops context keys not applicable to ${doc.request.action}: ${ignored.join(', ')}`
    }
  }
  const decision = decisions[result.overallResult]
  if (!decision) {
    return { error: `iam-simulate: unexpected result ${result.overallResult}` }
  }
  const out = { decision }
  if (explain) {
    out.detail = result.result.analysis
  }
  return out
}

async function main() {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
  for await (const line of lines) {
    let out
    try {
      out = await evaluate(JSON.parse(line))
    } catch (e) {
      out = { error: `runner: ${e?.message ?? String(e)}` }
    }
    let text
    try {
      text = JSON.stringify(out)
    } catch (e) {
      text = JSON.stringify({ decision: out.decision, error: out.error, detailError: e.message })
    }
    if (!process.stdout.write(text + '\n')) {
      await new Promise((resolve) => process.stdout.once('drain', resolve))
    }
  }
}

await main()
