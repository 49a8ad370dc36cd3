// run.mjs: drives trellis's VPC Lattice API with the AWS SDK for JavaScript v3
// (@aws-sdk/client-vpc-lattice), the way a Node application or the AWS CDK's
// custom resources would.
//
// Environment: TRELLIS_ENDPOINT (the API's URL), AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_REGION. Prints one line per check and exits
// non-zero at the first failure. controlplane's TestNodeSDK runs it.

import {
  VPCLatticeClient,
  CreateServiceNetworkCommand,
  GetServiceNetworkCommand,
  CreateServiceCommand,
  GetServiceCommand,
  UpdateServiceCommand,
  DeleteServiceCommand,
  DeleteServiceNetworkCommand,
  PutAuthPolicyCommand,
  GetAuthPolicyCommand,
  DeleteAuthPolicyCommand,
  CreateTargetGroupCommand,
  DeleteTargetGroupCommand,
  RegisterTargetsCommand,
  ListTargetsCommand,
  CreateListenerCommand,
  CreateRuleCommand,
  ListRulesCommand,
  DeleteListenerCommand,
  CreateServiceNetworkServiceAssociationCommand,
  DeleteServiceNetworkServiceAssociationCommand,
  ListTagsForResourceCommand,
  paginateListTargetGroups,
  ValidationException,
  ResourceNotFoundException,
  ConflictException,
  AccessDeniedException,
} from '@aws-sdk/client-vpc-lattice'

const client = new VPCLatticeClient({
  endpoint: process.env.TRELLIS_ENDPOINT,
  region: process.env.AWS_REGION,
  maxAttempts: 1,
})

let checks = 0
function check(cond, what, detail) {
  if (!cond) {
    console.error(`FAIL: ${what}${detail === undefined ? '' : ': ' + JSON.stringify(detail)}`)
    process.exit(1)
  }
  checks++
  console.log(`ok ${checks} ${what}`)
}

async function expectError(promise, cls, name, what) {
  try {
    await promise
  } catch (err) {
    const ok = (cls ? err instanceof cls : true) && err.name === name && err.$metadata?.httpStatusCode >= 400
    check(ok, what, { name: err.name, message: err.message })
    return err
  }
  check(false, what + ' (no error)')
}

const policy = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: '*', Action: 'vpc-lattice-svcs:Invoke', Resource: '*',
    Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-123456example' } } }],
}, null, 2)

const sn = await client.send(new CreateServiceNetworkCommand({ name: 'js-net', authType: 'AWS_IAM', tags: { sdk: 'js' } }))
check(/^sn-[0-9a-z]{17}$/.test(sn.id) && sn.arn.endsWith(':servicenetwork/' + sn.id), 'CreateServiceNetwork', sn)
const gsn = await client.send(new GetServiceNetworkCommand({ serviceNetworkIdentifier: sn.arn }))
check(gsn.name === 'js-net' && gsn.createdAt instanceof Date && gsn.numberOfAssociatedServices === 0, 'GetServiceNetwork by ARN', gsn)
const tags = await client.send(new ListTagsForResourceCommand({ resourceArn: sn.arn }))
check(tags.tags.sdk === 'js', 'ListTagsForResource', tags)

const svc = await client.send(new CreateServiceCommand({ name: 'js-svc', authType: 'AWS_IAM', clientToken: 'js-token' }))
check(/^svc-[0-9a-z]{17}$/.test(svc.id) && svc.status === 'ACTIVE' && svc.dnsEntry.domainName.startsWith('js-svc-'), 'CreateService', svc)
const again = await client.send(new CreateServiceCommand({ name: 'js-svc', authType: 'AWS_IAM', clientToken: 'js-token' }))
check(again.id === svc.id, 'CreateService retried with the same clientToken', again)
await expectError(client.send(new CreateServiceCommand({ name: 'js-svc', clientToken: 'js-token' })), ConflictException, 'ConflictException',
  'CreateService with a used clientToken and other parameters')

const ve = await expectError(client.send(new CreateServiceCommand({ name: 'Bad_Name' })), ValidationException, 'ValidationException',
  'CreateService with an invalid name')
check(ve.reason === 'fieldValidationFailed' && ve.fieldList?.[0]?.name === 'name', 'ValidationException reason and fieldList', ve.fieldList)
const nf = await expectError(client.send(new GetServiceCommand({ serviceIdentifier: 'svc-0000000000000000z' })), ResourceNotFoundException,
  'ResourceNotFoundException', 'GetService of a missing service')
check(nf.resourceId === 'svc-0000000000000000z' && nf.resourceType === 'SERVICE', 'ResourceNotFoundException members', nf)

const put = await client.send(new PutAuthPolicyCommand({ resourceIdentifier: svc.arn, policy }))
check(put.state === 'Active' && put.policy === policy, 'PutAuthPolicy', put)
const gap = await client.send(new GetAuthPolicyCommand({ resourceIdentifier: svc.id }))
check(gap.policy === policy && gap.state === 'Active', 'GetAuthPolicy returns the policy as given', gap)
await expectError(client.send(new DeleteAuthPolicyCommand({ resourceIdentifier: svc.id })), null, 'ConflictException',
  'DeleteAuthPolicy while the auth type is AWS_IAM')
await client.send(new UpdateServiceCommand({ serviceIdentifier: svc.id, authType: 'NONE' }))
const inactive = await client.send(new GetAuthPolicyCommand({ resourceIdentifier: svc.id }))
check(inactive.state === 'Inactive', 'auth policy Inactive with NONE', inactive)
await client.send(new DeleteAuthPolicyCommand({ resourceIdentifier: svc.id }))
check(true, 'DeleteAuthPolicy after setting NONE')

const tgs = []
for (const name of ['js-a', 'js-b', 'js-c']) {
  tgs.push(await client.send(new CreateTargetGroupCommand({
    name, type: 'IP', config: { port: 8080, protocol: 'HTTP', vpcIdentifier: 'vpc-0123456789abcdef0' },
  })))
}
let seen = 0, pages = 0
for await (const page of paginateListTargetGroups({ client, pageSize: 2 }, {})) {
  pages++
  seen += page.items.length
}
check(seen === 3 && pages === 2, 'paginateListTargetGroups with pageSize 2', { seen, pages })

const reg = await client.send(new RegisterTargetsCommand({ targetGroupIdentifier: tgs[0].id, targets: [{ id: '10.0.0.7' }, { id: 'nope' }] }))
check(reg.successful.length === 1 && reg.unsuccessful.length === 1 && reg.successful[0].port === 8080, 'RegisterTargets', reg)
const lt = await client.send(new ListTargetsCommand({ targetGroupIdentifier: tgs[0].arn }))
check(lt.items.length === 1 && lt.items[0].id === '10.0.0.7', 'ListTargets', lt)

const l = await client.send(new CreateListenerCommand({
  serviceIdentifier: svc.id, name: 'js-http', protocol: 'HTTP',
  defaultAction: { forward: { targetGroups: [{ targetGroupIdentifier: tgs[0].id }] } },
}))
check(l.port === 80 && l.defaultAction.forward.targetGroups[0].weight === 100, 'CreateListener', l)
const r = await client.send(new CreateRuleCommand({
  serviceIdentifier: svc.arn, listenerIdentifier: l.arn, name: 'js-rule', priority: 7,
  match: { httpMatch: { method: 'POST', pathMatch: { match: { exact: '/orders' }, caseSensitive: true },
    headerMatches: [{ name: 'x-tenant', match: { contains: 'blue' } }] } },
  action: { forward: { targetGroups: [{ targetGroupIdentifier: tgs[0].id, weight: 3 }, { targetGroupIdentifier: tgs[1].arn, weight: 1 }] } },
}))
check(r.priority === 7 && r.match.httpMatch.pathMatch.match.exact === '/orders', 'CreateRule', r)
const rules = await client.send(new ListRulesCommand({ serviceIdentifier: svc.id, listenerIdentifier: l.id }))
check(rules.items.length === 2 && rules.items.filter((x) => x.isDefault).length === 1, 'ListRules', rules)
await expectError(client.send(new DeleteTargetGroupCommand({ targetGroupIdentifier: tgs[0].id })), ConflictException, 'ConflictException',
  'DeleteTargetGroup of a target group in use')

const assoc = await client.send(new CreateServiceNetworkServiceAssociationCommand({ serviceNetworkIdentifier: sn.id, serviceIdentifier: svc.id }))
await expectError(client.send(new DeleteServiceNetworkCommand({ serviceNetworkIdentifier: sn.id })), ConflictException, 'ConflictException',
  'DeleteServiceNetwork with an association')
await client.send(new DeleteServiceNetworkServiceAssociationCommand({ serviceNetworkServiceAssociationIdentifier: assoc.arn }))

await client.send(new DeleteListenerCommand({ serviceIdentifier: svc.id, listenerIdentifier: l.id }))
for (const tg of tgs) {
  await client.send(new DeleteTargetGroupCommand({ targetGroupIdentifier: tg.id }))
}
const dsvc = await client.send(new DeleteServiceCommand({ serviceIdentifier: svc.id }))
check(dsvc.status === 'DELETE_IN_PROGRESS', 'DeleteService', dsvc)
await client.send(new DeleteServiceNetworkCommand({ serviceNetworkIdentifier: sn.arn }))
await expectError(client.send(new GetServiceNetworkCommand({ serviceNetworkIdentifier: sn.id })), ResourceNotFoundException,
  'ResourceNotFoundException', 'GetServiceNetwork after delete')

if (process.env.TRELLIS_READER_KEY) {
  const reader = new VPCLatticeClient({
    endpoint: process.env.TRELLIS_ENDPOINT, region: process.env.AWS_REGION, maxAttempts: 1,
    credentials: { accessKeyId: process.env.TRELLIS_READER_KEY, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY },
  })
  await expectError(reader.send(new CreateServiceNetworkCommand({ name: 'denied' })), AccessDeniedException, 'AccessDeniedException',
    'CreateServiceNetwork by a reader')
}

console.log(`${checks} checks passed`)
