#!/usr/bin/env bash
# The fleet of the local region (ECS, EC2, Spot Fleet, Auto Scaling, ELBv2) through Debian's
# awscli 2.9: every operation issue 6 lists, with asserted outputs. One story: a cluster with no
# instances refuses RunTask; an Auto Scaling group boots instances that register with the
# cluster; tasks are placed (and refused with RESOURCE:MEMORY); a service behind a target group
# reaches a steady state, rolls to a new revision and moves off a DRAINING instance; a
# termination lifecycle hook holds an instance until CompleteLifecycleAction; a spot fleet is
# scaled, loses an instance and replaces it, and is cancelled. The end re-reads a few shapes
# through awscli 1.45 (newer botocore). Instances boot after --boot-delay 1 (60 s by default).
source "$(dirname "$0")/lib/region.sh"
region_start --boot-delay 1
BOOT_WAIT=${BOOT_WAIT:-15}  # seconds an instance may take to boot and register
START=$SECONDS

ACCOUNT=000000000000
cli=$AWS2
tag=$RANDOM
cluster="fleet-$tag"
cluster_arn="arn:aws:ecs:us-east-1:$ACCOUNT:cluster/$cluster"
# py EXPR: evaluates Python over `o` (the parsed OUT) and prints it.
py() { OUT="$OUT" python3 -c "import json,os; o=json.loads(os.environ['OUT'] or '{}'); print($1)"; }
# wait_for NAME EXPR SECONDS aws-args...: repeats the command until EXPR holds over its output
# (at most SECONDS), then checks EXPR once more so that the wait counts as a check.
wait_for() {
  local name=$1 expr=$2 limit=$3
  shift 3
  local deadline=$((SECONDS + limit))
  while :; do
    OUT=$("$cli" --endpoint-url "$ENDPOINT" --output json "$@" 2>"$WORK/err") || OUT="{}"
    if OUT="$OUT" python3 -c "import json,os,sys; o=json.loads(os.environ['OUT'] or '{}'); sys.exit(0 if ($expr) else 1)" 2>/dev/null; then
      break
    fi
    [ "$SECONDS" -ge "$deadline" ] && break
    sleep 0.5
  done
  check "$name (waited $((SECONDS + limit - deadline)) s)" "$expr"
}
# expect_message TEXT CLI ARGS...: the command must fail with TEXT in its error.
expect_message() { expect_error "$@"; }

# --- ECS: clusters, task definitions, and RunTask with no instance ------------------------
run $cli ecs create-cluster --cluster-name "$cluster" --tags key=team,value=ops
check "create-cluster" "o['cluster']['clusterArn'] == '$cluster_arn' and o['cluster']['clusterName'] == '$cluster' and o['cluster']['status'] == 'ACTIVE' and o['cluster']['tags'] == [{'key': 'team', 'value': 'ops'}]"
run $cli ecs describe-clusters --clusters "$cluster" "missing-$tag"
check "describe-clusters" "[c['clusterName'] for c in o['clusters']] == ['$cluster'] and o['clusters'][0]['registeredContainerInstancesCount'] == 0 and [f['reason'] for f in o['failures']] == ['MISSING'] and o['failures'][0]['arn'].endswith('cluster/missing-$tag')"
run $cli ecs list-clusters
check "list-clusters" "'$cluster_arn' in o['clusterArns']"

web_containers='[{"name":"web","image":"nginx:1","cpu":256,"memory":512,"essential":true,
  "portMappings":[{"containerPort":80,"hostPort":0,"protocol":"tcp"}],
  "environment":[{"name":"MODE","value":"web"}],
  "logConfiguration":{"logDriver":"awslogs","options":{"awslogs-group":"/ecs/web"}},
  "secrets":[{"name":"TOKEN","valueFrom":"arn:aws:ssm:us-east-1:000000000000:parameter/token"}]}]'
run $cli ecs register-task-definition --family "web-$tag" --container-definitions "$web_containers" \
    --tags key=app,value=web
check "register-task-definition" "o['taskDefinition']['revision'] == 1 and o['taskDefinition']['status'] == 'ACTIVE' and o['taskDefinition']['family'] == 'web-$tag' and o['tags'] == [{'key': 'app', 'value': 'web'}]"
check "register-task-definition keeps the containers as given" "(lambda c: c['cpu'] == 256 and c['memory'] == 512 and c['essential'] is True and c['portMappings'] == [{'containerPort': 80, 'hostPort': 0, 'protocol': 'tcp'}] and c['environment'] == [{'name': 'MODE', 'value': 'web'}] and c['logConfiguration'] == {'logDriver': 'awslogs', 'options': {'awslogs-group': '/ecs/web'}} and c['secrets'] == [{'name': 'TOKEN', 'valueFrom': 'arn:aws:ssm:us-east-1:000000000000:parameter/token'}])(o['taskDefinition']['containerDefinitions'][0])"
web1=$(py "o['taskDefinition']['taskDefinitionArn']")
run $cli ecs register-task-definition --family "web-$tag" --container-definitions "$web_containers"
check "register-task-definition: next revision" "o['taskDefinition']['revision'] == 2"
web2=$(py "o['taskDefinition']['taskDefinitionArn']")
run $cli ecs register-task-definition --family "huge-$tag" \
    --container-definitions '[{"name":"huge","image":"big","cpu":128,"memory":100000}]'
# The batch job runs 10 s: long enough to still be RUNNING at list-tasks --family below, three
# awscli calls later, even on a loaded machine.
run $cli ecs register-task-definition --family "batch-$tag" \
    --container-definitions '[{"name":"job","image":"job","cpu":128,"memory":128,"environment":[{"name":"STEADY_RUN_SECONDS","value":"10"},{"name":"STEADY_EXIT_CODE","value":"3"}]}]'
batch=$(py "o['taskDefinition']['taskDefinitionArn']")
run $cli ecs describe-task-definition --task-definition "web-$tag:1" --include TAGS
check "describe-task-definition" "o['taskDefinition']['taskDefinitionArn'] == '$web1' and o['taskDefinition']['containerDefinitions'][0]['image'] == 'nginx:1' and o['tags'] == [{'key': 'app', 'value': 'web'}]"
run $cli ecs describe-task-definition --task-definition "web-$tag"
check "describe-task-definition: family means the latest" "o['taskDefinition']['revision'] == 2"
expect_error "ClientException" $cli ecs describe-task-definition --task-definition "nothing-$tag:1"
run $cli ecs deregister-task-definition --task-definition "web-$tag:1"
check "deregister-task-definition" "o['taskDefinition']['status'] == 'INACTIVE' and o['taskDefinition']['revision'] == 1"
run $cli ecs list-task-definitions --family-prefix "web-$tag"
check "list-task-definitions (ACTIVE)" "o['taskDefinitionArns'] == ['$web2']"
run $cli ecs list-task-definitions --family-prefix "web-$tag" --status INACTIVE
check "list-task-definitions --status INACTIVE" "o['taskDefinitionArns'] == ['$web1']"
run $cli ecs list-task-definitions --family-prefix "web-$tag" --sort DESC --status ACTIVE
check "list-task-definitions --sort DESC" "o['taskDefinitionArns'] == ['$web2']"

expect_error "InvalidParameterException" $cli ecs run-task --cluster "$cluster" --task-definition "web-$tag"
expect_message "No Container Instances were found in your cluster." $cli ecs run-task --cluster "$cluster" --task-definition "web-$tag"
expect_error "ClusterNotFoundException" $cli ecs run-task --cluster "missing-$tag" --task-definition "web-$tag"

# --- EC2 catalogue and Auto Scaling groups -------------------------------------------------
run $cli ec2 describe-instance-types --instance-types m5.large c5.xlarge
check "describe-instance-types" "sorted((t['InstanceType'], t['VCpuInfo']['DefaultVCpus'], t['MemoryInfo']['SizeInMiB']) for t in o['InstanceTypes']) == [('c5.xlarge', 4, 8192), ('m5.large', 2, 8192)] and all('spot' in t['SupportedUsageClasses'] for t in o['InstanceTypes'])"
run $cli ec2 describe-instance-types
check "describe-instance-types: the whole catalogue" "len(o['InstanceTypes']) >= 10"
expect_error "InvalidInstanceType" $cli ec2 describe-instance-types --instance-types m9.humongous

asg="asg-$tag"
run $cli autoscaling create-auto-scaling-group --auto-scaling-group-name "$asg" \
    --launch-template LaunchTemplateName=m5.large --min-size 0 --max-size 4 --desired-capacity 2 \
    --availability-zones us-east-1a us-east-1b \
    --tags "Key=ECS_CLUSTER,Value=$cluster,PropagateAtLaunch=true" Key=team,Value=ops,PropagateAtLaunch=false
expect_error "AlreadyExists" $cli autoscaling create-auto-scaling-group --auto-scaling-group-name "$asg" \
    --launch-template LaunchTemplateName=m5.large --min-size 0 --max-size 4 --availability-zones us-east-1a
expect_error "ValidationError" $cli autoscaling create-auto-scaling-group --auto-scaling-group-name "bad-$tag" \
    --launch-template LaunchTemplateName=m5.large --min-size 5 --max-size 4 --availability-zones us-east-1a
run $cli autoscaling describe-auto-scaling-groups --auto-scaling-group-names "$asg"
check "describe-auto-scaling-groups" "(lambda g: g['AutoScalingGroupName'] == '$asg' and g['MinSize'] == 0 and g['MaxSize'] == 4 and g['DesiredCapacity'] == 2 and g['LaunchTemplate']['LaunchTemplateName'] == 'm5.large' and sorted(g['AvailabilityZones']) == ['us-east-1a', 'us-east-1b'] and g['AutoScalingGroupARN'].startswith('arn:aws:autoscaling:us-east-1:$ACCOUNT:autoScalingGroup:') and g['AutoScalingGroupARN'].endswith(':autoScalingGroupName/$asg') and {(t['Key'], t['PropagateAtLaunch']) for t in g['Tags']} == {('ECS_CLUSTER', True), ('team', False)})(o['AutoScalingGroups'][0])"
wait_for "the group launches its desired capacity" "len(o['AutoScalingGroups'][0]['Instances']) == 2" 10 \
    autoscaling describe-auto-scaling-groups --auto-scaling-group-names "$asg"
check "one instance per zone" "sorted(i['AvailabilityZone'] for i in o['AutoScalingGroups'][0]['Instances']) == ['us-east-1a', 'us-east-1b']"
wait_for "instances run after the boot delay" "len([i for r in o['Reservations'] for i in r['Instances'] if i['State']['Name'] == 'running']) == 2" $BOOT_WAIT \
    ec2 describe-instances --filters "Name=tag:aws:autoscaling:groupName,Values=$asg"
check "describe-instances shape" "all(i['InstanceType'] == 'm5.large' and i['State']['Code'] == 16 and i['PrivateIpAddress'] and i['PrivateDnsName'] == 'ip-' + i['PrivateIpAddress'].replace('.', '-') + '.ec2.internal' and {'Key': 'ECS_CLUSTER', 'Value': '$cluster'} in i['Tags'] and 'InstanceLifecycle' not in i for r in o['Reservations'] for i in r['Instances']) and all(r['OwnerId'] == '$ACCOUNT' for r in o['Reservations'])"
asg_ids=($(py "' '.join(sorted(i['InstanceId'] for r in o['Reservations'] for i in r['Instances']))"))
run $cli ec2 describe-instances --instance-ids "${asg_ids[0]}"
check "describe-instances --instance-ids" "[i['InstanceId'] for r in o['Reservations'] for i in r['Instances']] == ['${asg_ids[0]}']"
expect_error "InvalidInstanceID.NotFound" $cli ec2 describe-instances --instance-ids i-0000000000000dead
run $cli ec2 describe-instances --filters Name=instance-state-name,Values=running Name=instance-type,Values=m5.large \
    "Name=tag:aws:autoscaling:groupName,Values=$asg"
check "describe-instances filters" "len([i for r in o['Reservations'] for i in r['Instances']]) == 2"
wait_for "the group's instances are InService" "sorted((i['InstanceId'], i['LifecycleState'], i['HealthStatus']) for i in o['AutoScalingGroups'][0]['Instances']) == [('${asg_ids[0]}', 'InService', 'Healthy'), ('${asg_ids[1]}', 'InService', 'Healthy')]" 10 \
    autoscaling describe-auto-scaling-groups --auto-scaling-group-names "$asg"

# --- ECS container instances ----------------------------------------------------------------
wait_for "booted instances register with the cluster" "len(o['containerInstanceArns']) == 2" 10 \
    ecs list-container-instances --cluster "$cluster"
cis=($(py "' '.join(o['containerInstanceArns'])"))
run $cli ecs describe-container-instances --cluster "$cluster" --container-instances "${cis[@]}"
check "describe-container-instances" "sorted(c['ec2InstanceId'] for c in o['containerInstances']) == ['${asg_ids[0]}', '${asg_ids[1]}'] and all(c['status'] == 'ACTIVE' and c['agentConnected'] is True and c['runningTasksCount'] == 0 and c['pendingTasksCount'] == 0 for c in o['containerInstances']) and o['failures'] == []"
check "registered resources: CPU, MEMORY, PORTS" "all({r['name']: r.get('integerValue') for r in c['registeredResources'] if r['type'] == 'INTEGER'}['CPU'] == 2048 and 7000 < {r['name']: r.get('integerValue') for r in c['registeredResources']}['MEMORY'] <= 8192 and '22' in [r for r in c['registeredResources'] if r['name'] == 'PORTS'][0]['stringSetValue'] and c['remainingResources'] == c['registeredResources'] for c in o['containerInstances'])"
check "container instance attributes" "all({'name': 'ecs.instance-type', 'value': 'm5.large'} in c['attributes'] and any(a['name'] == 'ecs.availability-zone' for a in c['attributes']) for c in o['containerInstances'])"
ci_by_ec2() { OUT="$1" python3 -c "import json,os,sys; o=json.loads(os.environ['OUT']); print([c['containerInstanceArn'] for c in o['containerInstances'] if c['ec2InstanceId'] == sys.argv[1]][0])" "$2"; }
all_cis=$OUT
ci0=$(ci_by_ec2 "$all_cis" "${asg_ids[0]}")
ci1=$(ci_by_ec2 "$all_cis" "${asg_ids[1]}")
run $cli ecs list-container-instances --cluster "$cluster" --filter "ec2InstanceId in ['${asg_ids[1]}']"
check "list-container-instances --filter ec2InstanceId in [...]" "o['containerInstanceArns'] == ['$ci1']"
run $cli ecs list-container-instances --cluster "$cluster" --filter "ec2InstanceId in ['${asg_ids[0]}', '${asg_ids[1]}'] and attribute:ecs.instance-type == m5.large"
check "list-container-instances --filter with and" "sorted(o['containerInstanceArns']) == sorted(['$ci0', '$ci1'])"
run $cli ecs list-container-instances --cluster "$cluster" --status DRAINING
check "list-container-instances --status DRAINING" "o['containerInstanceArns'] == []"
expect_error "InvalidParameterException" $cli ecs list-container-instances --cluster "$cluster" --filter "flavour == sweet"
run $cli ecs describe-container-instances --cluster "$cluster" --container-instances "${cis[0]}" \
    "arn:aws:ecs:us-east-1:$ACCOUNT:container-instance/$cluster/00000000000000000000000000000000"
check "describe-container-instances: failures" "len(o['containerInstances']) == 1 and [f['reason'] for f in o['failures']] == ['MISSING']"

# --- ECS tasks: RunTask, StartTask, StopTask, DescribeTasks, ListTasks ------------------------
run $cli ecs run-task --cluster "$cluster" --task-definition "web-$tag" --count 2 --started-by "runner-$tag" \
    --placement-strategy type=spread,field=instanceId --tags key=kind,value=adhoc
check "run-task spread over instances" "len(o['tasks']) == 2 and o['failures'] == [] and len({t['containerInstanceArn'] for t in o['tasks']}) == 2 and all(t['lastStatus'] in ('PROVISIONING', 'PENDING') and t['desiredStatus'] == 'RUNNING' and t['startedBy'] == 'runner-$tag' and t['taskDefinitionArn'] == '$web2' and t['launchType'] == 'EC2' and t['clusterArn'] == '$cluster_arn' and t['tags'] == [{'key': 'kind', 'value': 'adhoc'}] for t in o['tasks'])"
run_tasks=($(py "' '.join(t['taskArn'] for t in o['tasks'])"))
wait_for "tasks reach RUNNING" "[t['lastStatus'] for t in o['tasks']] == ['RUNNING', 'RUNNING']" 15 \
    ecs describe-tasks --cluster "$cluster" --tasks "${run_tasks[@]}"
check "running task shape" "all(t['startedAt'] and t['containers'][0]['lastStatus'] == 'RUNNING' and t['containers'][0]['name'] == 'web' and t['containers'][0]['networkBindings'][0]['containerPort'] == 80 and t['containers'][0]['networkBindings'][0]['hostPort'] >= 32768 and t['availabilityZone'] in ('us-east-1a', 'us-east-1b') for t in o['tasks'])"
run $cli ecs describe-container-instances --cluster "$cluster" --container-instances "$ci0"
check "a running task holds CPU and MEMORY" "(lambda c: c['runningTasksCount'] == 1 and {r['name']: r.get('integerValue') for r in c['remainingResources']}['CPU'] == 2048 - 256 and {r['name']: r.get('integerValue') for r in c['registeredResources']}['MEMORY'] - {r['name']: r.get('integerValue') for r in c['remainingResources']}['MEMORY'] == 512)(o['containerInstances'][0])"

run $cli ecs run-task --cluster "$cluster" --task-definition "huge-$tag"
check "run-task: RESOURCE:MEMORY failures" "o['tasks'] == [] and sorted(f['arn'] for f in o['failures']) == sorted(['$ci0', '$ci1']) and all(f['reason'] == 'RESOURCE:MEMORY' for f in o['failures'])"
run $cli ecs run-task --cluster "$cluster" --task-definition "web-$tag" --count 3 --group "distinct-$tag" \
    --placement-constraints type=distinctInstance --started-by "runner-$tag"
check "run-task: distinctInstance places one per instance" "len(o['tasks']) == 2 and len({t['containerInstanceArn'] for t in o['tasks']}) == 2 and len(o['failures']) >= 1"
more_tasks=($(py "' '.join(t['taskArn'] for t in o['tasks'])"))
run $cli ecs run-task --cluster "$cluster" --task-definition "web-$tag" --placement-strategy type=binpack,field=memory \
    --placement-constraints "[{\"type\":\"memberOf\",\"expression\":\"ec2InstanceId == ${asg_ids[1]}\"}]"
check "run-task: memberOf" "[t['containerInstanceArn'] for t in o['tasks']] == ['$ci1']"
member_task=$(py "o['tasks'][0]['taskArn']")
expect_error "InvalidParameterException" $cli ecs run-task --cluster "$cluster" --task-definition "web-$tag" --count 11

run $cli ecs start-task --cluster "$cluster" --task-definition "web-$tag" --container-instances "$ci0" \
    --started-by "starter-$tag" --overrides '{"containerOverrides":[{"name":"web","environment":[{"name":"MODE","value":"canary"}]}]}'
check "start-task on the named instance" "len(o['tasks']) == 1 and o['tasks'][0]['containerInstanceArn'] == '$ci0' and o['tasks'][0]['startedBy'] == 'starter-$tag' and o['tasks'][0]['overrides']['containerOverrides'] == [{'name': 'web', 'environment': [{'name': 'MODE', 'value': 'canary'}]}]"
started=$(py "o['tasks'][0]['taskArn']")
run $cli ecs run-task --cluster "$cluster" --task-definition "$batch" --started-by "batch-$tag"
batch_task=$(py "o['tasks'][0]['taskArn']")

run $cli ecs list-tasks --cluster "$cluster" --started-by "runner-$tag"
check "list-tasks --started-by" "sorted(o['taskArns']) == sorted(['${run_tasks[0]}', '${run_tasks[1]}', '${more_tasks[0]}', '${more_tasks[1]}'])"
run $cli ecs list-tasks --cluster "$cluster" --container-instance "$ci0" --family "web-$tag"
check "list-tasks --container-instance --family" "'$started' in o['taskArns'] and '$member_task' not in o['taskArns']"
run $cli ecs list-tasks --cluster "$cluster" --family "batch-$tag"
check "list-tasks --family" "o['taskArns'] == ['$batch_task']"

run $cli ecs stop-task --cluster "$cluster" --task "$started" --reason "canary over"
check "stop-task" "o['task']['taskArn'] == '$started' and o['task']['desiredStatus'] == 'STOPPED' and o['task']['stoppedReason'] == 'canary over'"
wait_for "the stopped task reaches STOPPED" "o['tasks'][0]['lastStatus'] == 'STOPPED' and o['tasks'][0]['stopCode'] == 'UserInitiated' and bool(o['tasks'][0]['stoppedAt'])" 10 \
    ecs describe-tasks --cluster "$cluster" --tasks "$started"
wait_for "a batch task ends with its exit code" "o['tasks'][0]['lastStatus'] == 'STOPPED' and o['tasks'][0]['containers'][0]['exitCode'] == 3 and o['tasks'][0]['stopCode'] == 'EssentialContainerExited'" 40 \
    ecs describe-tasks --cluster "$cluster" --tasks "$batch_task"
run $cli ecs list-tasks --cluster "$cluster" --desired-status STOPPED
check "list-tasks --desired-status STOPPED" "'$started' in o['taskArns'] and '$batch_task' in o['taskArns'] and '${run_tasks[0]}' not in o['taskArns']"
run $cli ecs describe-tasks --cluster "$cluster" --tasks "${run_tasks[0]}" "arn:aws:ecs:us-east-1:$ACCOUNT:task/$cluster/00000000000000000000000000000000"
check "describe-tasks: failures" "len(o['tasks']) == 1 and [f['reason'] for f in o['failures']] == ['MISSING']"
for t in "${run_tasks[@]}" "${more_tasks[@]}" "$member_task"; do
  run $cli ecs stop-task --cluster "$cluster" --task "$t"
done
expect_error "InvalidParameterException" $cli ecs stop-task --cluster "$cluster" \
    --task "arn:aws:ecs:us-east-1:$ACCOUNT:task/$cluster/00000000000000000000000000000000"

# --- ELBv2 target groups -----------------------------------------------------------------------
tg_name="web-$tag"
run $cli elbv2 create-target-group --name "$tg_name" --protocol HTTP --port 80 --vpc-id vpc-0steady \
    --health-check-path /health --health-check-interval-seconds 5 --healthy-threshold-count 2 \
    --unhealthy-threshold-count 2 --target-type instance
check "create-target-group" "(lambda g: g['TargetGroupName'] == '$tg_name' and g['Protocol'] == 'HTTP' and g['Port'] == 80 and g['VpcId'] == 'vpc-0steady' and g['HealthCheckPath'] == '/health' and g['HealthCheckIntervalSeconds'] == 5 and g['HealthyThresholdCount'] == 2 and g['TargetType'] == 'instance' and g['TargetGroupArn'].startswith('arn:aws:elasticloadbalancing:us-east-1:$ACCOUNT:targetgroup/$tg_name/'))(o['TargetGroups'][0])"
tg=$(py "o['TargetGroups'][0]['TargetGroupArn']")
expect_error "ValidationError" $cli elbv2 create-target-group --name "bad_name_$tag" --protocol HTTP --port 80 --vpc-id vpc-1
run $cli elbv2 describe-target-groups --names "$tg_name"
check "describe-target-groups --names" "[g['TargetGroupArn'] for g in o['TargetGroups']] == ['$tg']"
run $cli elbv2 describe-target-groups --target-group-arns "$tg"
check "describe-target-groups --target-group-arns" "[g['TargetGroupName'] for g in o['TargetGroups']] == ['$tg_name']"
expect_error "TargetGroupNotFound" $cli elbv2 describe-target-groups --names "nothing-$tag"
run $cli elbv2 modify-target-group-attributes --target-group-arn "$tg" \
    --attributes Key=deregistration_delay.timeout_seconds,Value=2
check "modify-target-group-attributes" "{a['Key']: a['Value'] for a in o['Attributes']}['deregistration_delay.timeout_seconds'] == '2'"
run $cli elbv2 describe-target-group-attributes --target-group-arn "$tg"
check "describe-target-group-attributes" "{a['Key']: a['Value'] for a in o['Attributes']}['deregistration_delay.timeout_seconds'] == '2'"
expect_error "ValidationError" $cli elbv2 modify-target-group-attributes --target-group-arn "$tg" \
    --attributes Key=deregistration_delay.timeout_seconds,Value=5000

# Targets registered by hand: initial → healthy; deregistered: draining → unused.
manual_tg_name="manual-$tag"
run $cli elbv2 create-target-group --name "$manual_tg_name" --protocol HTTP --port 8080 --vpc-id vpc-0steady \
    --health-check-interval-seconds 5 --healthy-threshold-count 2
manual_tg=$(py "o['TargetGroups'][0]['TargetGroupArn']")
run $cli elbv2 modify-target-group-attributes --target-group-arn "$manual_tg" \
    --attributes Key=deregistration_delay.timeout_seconds,Value=15
run $cli elbv2 register-targets --target-group-arn "$manual_tg" --targets "Id=${asg_ids[0]}" "Id=${asg_ids[1]},Port=9090"
run $cli elbv2 describe-target-health --target-group-arn "$manual_tg"
check "describe-target-health: initial" "sorted((d['Target']['Id'], d['Target']['Port'], d['HealthCheckPort'], d['TargetHealth']['State'], d['TargetHealth'].get('Reason')) for d in o['TargetHealthDescriptions']) == sorted([('${asg_ids[0]}', 8080, '8080', 'initial', 'Elb.RegistrationInProgress'), ('${asg_ids[1]}', 9090, '9090', 'initial', 'Elb.RegistrationInProgress')])"
wait_for "describe-target-health: healthy after 2 checks" "sorted(d['TargetHealth']['State'] for d in o['TargetHealthDescriptions']) == ['healthy', 'healthy']" 20 \
    elbv2 describe-target-health --target-group-arn "$manual_tg"
run $cli elbv2 deregister-targets --target-group-arn "$manual_tg" --targets "Id=${asg_ids[1]},Port=9090"
run $cli elbv2 describe-target-health --target-group-arn "$manual_tg" --targets "Id=${asg_ids[1]},Port=9090"
check "deregister-targets: draining" "[(d['TargetHealth']['State'], d['TargetHealth'].get('Reason')) for d in o['TargetHealthDescriptions']] == [('draining', 'Target.DeregistrationInProgress')]"
# 15 s of delay: long enough for the next awscli call to see "draining" on a loaded machine.
wait_for "draining → unused after the delay" "[d['TargetHealth']['State'] for d in o['TargetHealthDescriptions']] == ['unused']" 40 \
    elbv2 describe-target-health --target-group-arn "$manual_tg" --targets "Id=${asg_ids[1]},Port=9090"
expect_error "InvalidTarget" $cli elbv2 deregister-targets --target-group-arn "$manual_tg" --targets "Id=i-0000000000000dead"
expect_error "TargetGroupNotFound" $cli elbv2 describe-target-health \
    --target-group-arn "arn:aws:elasticloadbalancing:us-east-1:$ACCOUNT:targetgroup/nothing/0000000000000000"
run $cli elbv2 delete-target-group --target-group-arn "$manual_tg"
expect_error "TargetGroupNotFound" $cli elbv2 describe-target-groups --target-group-arns "$manual_tg"

# --- ECS services behind the target group ----------------------------------------------------
svc="web-svc-$tag"
run $cli ecs create-service --cluster "$cluster" --service-name "$svc" --task-definition "web-$tag:2" \
    --desired-count 2 --load-balancers "targetGroupArn=$tg,containerName=web,containerPort=80" \
    --deployment-configuration maximumPercent=200,minimumHealthyPercent=100 \
    --placement-strategy type=spread,field=attribute:ecs.availability-zone --tags key=app,value=web
check "create-service" "(lambda s: s['serviceName'] == '$svc' and s['status'] == 'ACTIVE' and s['desiredCount'] == 2 and s['taskDefinition'] == '$web2' and s['clusterArn'] == '$cluster_arn' and s['loadBalancers'] == [{'targetGroupArn': '$tg', 'containerName': 'web', 'containerPort': 80}] and s['deploymentConfiguration']['maximumPercent'] == 200 and s['deploymentConfiguration']['minimumHealthyPercent'] == 100 and [d['status'] for d in s['deployments']] == ['PRIMARY'] and s['deployments'][0]['rolloutState'] == 'IN_PROGRESS' and s['schedulingStrategy'] == 'REPLICA')(o['service'])"
svc_arn=$(py "o['service']['serviceArn']")
check "service ARN" "'$svc_arn' == 'arn:aws:ecs:us-east-1:$ACCOUNT:service/$cluster/$svc'"
expect_error "InvalidParameterException" $cli ecs create-service --cluster "$cluster" --service-name "$svc" \
    --task-definition "web-$tag:2" --desired-count 1
wait_for "the service reaches a steady state" "(lambda s: s['runningCount'] == 2 and s['deployments'][0]['rolloutState'] == 'COMPLETED' and any('has reached a steady state' in e['message'] for e in s['events']))(o['services'][0])" 30 \
    ecs describe-services --cluster "$cluster" --services "$svc"
wait_for "service tasks become healthy targets" "len(o['TargetHealthDescriptions']) == 2 and all(d['TargetHealth']['State'] == 'healthy' and d['Target']['Port'] >= 32768 for d in o['TargetHealthDescriptions'])" 20 \
    elbv2 describe-target-health --target-group-arn "$tg"
run $cli ecs describe-services --cluster "$cluster" --services "$svc" "nothing-$tag"
check "describe-services: failures" "len(o['services']) == 1 and [f['reason'] for f in o['failures']] == ['MISSING']"
run $cli ecs list-services --cluster "$cluster"
check "list-services" "o['serviceArns'] == ['$svc_arn']"
run $cli ecs list-tasks --cluster "$cluster" --service-name "$svc"
check "list-tasks --service-name" "len(o['taskArns']) == 2"
svc_tasks=($(py "' '.join(o['taskArns'])"))
run $cli ecs describe-tasks --cluster "$cluster" --tasks "${svc_tasks[@]}"
check "service tasks: group and startedBy" "all(t['group'] == 'service:$svc' and t['startedBy'].startswith('ecs-svc/') for t in o['tasks']) and len({t['availabilityZone'] for t in o['tasks']}) == 2"

# Rolling update to a new revision: new tasks run before old ones stop.
run $cli ecs register-task-definition --family "web-$tag" --container-definitions "$web_containers"
web3=$(py "o['taskDefinition']['taskDefinitionArn']")
run $cli ecs update-service --cluster "$cluster" --service "$svc" --task-definition "web-$tag:3"
check "update-service starts a deployment" "(lambda s: s['taskDefinition'] == '$web3' and [(d['status'], d['taskDefinition']) for d in s['deployments']] == [('PRIMARY', '$web3'), ('ACTIVE', '$web2')] and s['deployments'][0]['rolloutState'] == 'IN_PROGRESS')(o['service'])"
wait_for "the rolling update completes" "(lambda s: [d['status'] for d in s['deployments']] == ['PRIMARY'] and s['deployments'][0]['rolloutState'] == 'COMPLETED' and s['runningCount'] == 2)(o['services'][0])" 40 \
    ecs describe-services --cluster "$cluster" --services "$svc"
run $cli ecs list-tasks --cluster "$cluster" --service-name "$svc"
run $cli ecs describe-tasks --cluster "$cluster" --tasks $(py "' '.join(o['taskArns'])")
check "the service runs the new revision" "len(o['tasks']) == 2 and all(t['taskDefinitionArn'] == '$web3' for t in o['tasks'])"
run $cli ecs update-service --cluster "$cluster" --service "$svc" --desired-count 1
check "update-service --desired-count" "o['service']['desiredCount'] == 1"
wait_for "the service scales in" "o['services'][0]['runningCount'] == 1" 20 \
    ecs describe-services --cluster "$cluster" --services "$svc"
expect_error "ServiceNotFoundException" $cli ecs update-service --cluster "$cluster" --service "nothing-$tag" --desired-count 1

# DRAINING: the service moves its task to the other instance before the old one stops.
run $cli ecs list-tasks --cluster "$cluster" --service-name "$svc" --desired-status RUNNING
run $cli ecs describe-tasks --cluster "$cluster" --tasks $(py "' '.join(o['taskArns'])")
svc_ci=$(py "o['tasks'][0]['containerInstanceArn']")
other_ci=$([ "$svc_ci" = "$ci0" ] && echo "$ci1" || echo "$ci0")
run $cli ecs update-container-instances-state --cluster "$cluster" --container-instances "$svc_ci" --status DRAINING
check "update-container-instances-state DRAINING" "[(c['containerInstanceArn'], c['status']) for c in o['containerInstances']] == [('$svc_ci', 'DRAINING')] and o['failures'] == []"
run $cli ecs list-container-instances --cluster "$cluster" --status DRAINING
check "list-container-instances --status DRAINING" "o['containerInstanceArns'] == ['$svc_ci']"
wait_for "the service's task moves off the DRAINING instance" "len(o['taskArns']) == 1" 30 \
    ecs list-tasks --cluster "$cluster" --service-name "$svc" --desired-status RUNNING --container-instance "$other_ci"
wait_for "the DRAINING instance is empty" "o['taskArns'] == []" 20 \
    ecs list-tasks --cluster "$cluster" --container-instance "$svc_ci" --desired-status RUNNING
expect_error "InvalidParameterException" $cli ecs update-container-instances-state --cluster "$cluster" \
    --container-instances "$svc_ci" --status SLEEPING
run $cli ecs update-container-instances-state --cluster "$cluster" --container-instances "$svc_ci" --status ACTIVE
check "update-container-instances-state ACTIVE" "o['containerInstances'][0]['status'] == 'ACTIVE'"

# Tags, then the service's end.
run $cli ecs tag-resource --resource-arn "$svc_arn" --tags key=owner,value=platform
run $cli ecs list-tags-for-resource --resource-arn "$svc_arn"
check "tag-resource / list-tags-for-resource (service)" "sorted((t['key'], t['value']) for t in o['tags']) == [('app', 'web'), ('owner', 'platform')]"
run $cli ecs tag-resource --resource-arn "$cluster_arn" --tags key=env,value=test
run $cli ecs list-tags-for-resource --resource-arn "$cluster_arn"
check "list-tags-for-resource (cluster)" "sorted((t['key'], t['value']) for t in o['tags']) == [('env', 'test'), ('team', 'ops')]"
run $cli ecs list-tags-for-resource --resource-arn "$web1"
check "list-tags-for-resource (task definition)" "o['tags'] == [{'key': 'app', 'value': 'web'}]"
expect_error "InvalidParameterException" $cli ecs tag-resource --resource-arn "arn:aws:ecs:us-east-1:$ACCOUNT:service/$cluster/nothing" --tags key=a,value=b
expect_error "InvalidParameterException" $cli ecs delete-service --cluster "$cluster" --service "$svc"
run $cli ecs delete-service --cluster "$cluster" --service "$svc" --force
check "delete-service --force" "o['service']['status'] == 'DRAINING' and o['service']['desiredCount'] == 0"
wait_for "the deleted service's tasks stop" "o['taskArns'] == []" 20 \
    ecs list-tasks --cluster "$cluster" --service-name "$svc"

# --- Auto Scaling: capacity, protection, lifecycle hooks -----------------------------------------
run $cli autoscaling update-auto-scaling-group --auto-scaling-group-name "$asg" --min-size 1 --max-size 5
run $cli autoscaling describe-auto-scaling-groups --auto-scaling-group-names "$asg"
check "update-auto-scaling-group" "(lambda g: (g['MinSize'], g['MaxSize'], g['DesiredCapacity']) == (1, 5, 2))(o['AutoScalingGroups'][0])"
expect_error "ValidationError" $cli autoscaling update-auto-scaling-group --auto-scaling-group-name "$asg" --min-size 6
run $cli autoscaling set-desired-capacity --auto-scaling-group-name "$asg" --desired-capacity 3
wait_for "set-desired-capacity launches one more" "len(o['AutoScalingGroups'][0]['Instances']) == 3 and o['AutoScalingGroups'][0]['DesiredCapacity'] == 3" 10 \
    autoscaling describe-auto-scaling-groups --auto-scaling-group-names "$asg"
expect_error "ValidationError" $cli autoscaling set-desired-capacity --auto-scaling-group-name "$asg" --desired-capacity 9
third=$(py "[i['InstanceId'] for i in o['AutoScalingGroups'][0]['Instances'] if i['InstanceId'] not in ('${asg_ids[0]}', '${asg_ids[1]}')][0]")
wait_for "the third instance registers with the cluster" "len(o['containerInstanceArns']) == 3" $BOOT_WAIT \
    ecs list-container-instances --cluster "$cluster"

run $cli autoscaling set-instance-protection --auto-scaling-group-name "$asg" --instance-ids "${asg_ids[0]}" \
    --protected-from-scale-in
run $cli autoscaling describe-auto-scaling-instances --instance-ids "${asg_ids[0]}" "${asg_ids[1]}"
check "set-instance-protection / describe-auto-scaling-instances" "sorted((i['InstanceId'], i['AutoScalingGroupName'], i['ProtectedFromScaleIn'], i['LifecycleState'], i['HealthStatus']) for i in o['AutoScalingInstances']) == [('${asg_ids[0]}', '$asg', True, 'InService', 'HEALTHY'), ('${asg_ids[1]}', '$asg', False, 'InService', 'HEALTHY')]"
run $cli autoscaling describe-auto-scaling-instances
check "describe-auto-scaling-instances (all)" "len([i for i in o['AutoScalingInstances'] if i['AutoScalingGroupName'] == '$asg']) == 3"

run $cli sqs create-queue --queue-name "hooks-$tag"
hook_url=$(py "o['QueueUrl']")
hook_queue="arn:aws:sqs:us-east-1:$ACCOUNT:hooks-$tag"
run $cli autoscaling put-lifecycle-hook --auto-scaling-group-name "$asg" --lifecycle-hook-name drain \
    --lifecycle-transition autoscaling:EC2_INSTANCE_TERMINATING --notification-target-arn "$hook_queue" \
    --role-arn "arn:aws:iam::$ACCOUNT:role/hooks" --heartbeat-timeout 60 --default-result ABANDON \
    --notification-metadata '{"cluster":"'"$cluster"'"}'
run $cli autoscaling describe-lifecycle-hooks --auto-scaling-group-name "$asg"
check "describe-lifecycle-hooks" "[(h['LifecycleHookName'], h['AutoScalingGroupName'], h['LifecycleTransition'], h['NotificationTargetARN'], h['HeartbeatTimeout'], h['DefaultResult'], json.loads(h['NotificationMetadata'])) for h in o['LifecycleHooks']] == [('drain', '$asg', 'autoscaling:EC2_INSTANCE_TERMINATING', '$hook_queue', 60, 'ABANDON', {'cluster': '$cluster'})] and o['LifecycleHooks'][0]['GlobalTimeout'] >= 60"
run $cli autoscaling describe-lifecycle-hooks --auto-scaling-group-name "$asg" --lifecycle-hook-names other
check "describe-lifecycle-hooks by name" "o['LifecycleHooks'] == []"
run $cli sqs receive-message --queue-url "$hook_url" --max-number-of-messages 10 --wait-time-seconds 1
check "put-lifecycle-hook sends the test notification" "(lambda m: m['Event'] == 'autoscaling:TEST_NOTIFICATION' and m['AutoScalingGroupName'] == '$asg')(json.loads(o['Messages'][0]['Body']))"
run $cli sqs delete-message --queue-url "$hook_url" --receipt-handle "$(py "o['Messages'][0]['ReceiptHandle']")"

run $cli autoscaling terminate-instance-in-auto-scaling-group --instance-id "$third" \
    --should-decrement-desired-capacity
check "terminate-instance-in-auto-scaling-group" "'$third' in o['Activity']['Description'] and o['Activity']['StatusCode'] and o['Activity']['ActivityId']"
wait_for "the hook holds the instance in Terminating:Wait" "[i['LifecycleState'] for i in o['AutoScalingInstances']] == ['Terminating:Wait']" 5 \
    autoscaling describe-auto-scaling-instances --instance-ids "$third"
run $cli autoscaling describe-auto-scaling-groups --auto-scaling-group-names "$asg"
check "ShouldDecrementDesiredCapacity lowers the desired capacity" "o['AutoScalingGroups'][0]['DesiredCapacity'] == 2"
run $cli sqs receive-message --queue-url "$hook_url" --max-number-of-messages 10 --wait-time-seconds 2
check "the lifecycle notification" "(lambda m: m['LifecycleTransition'] == 'autoscaling:EC2_INSTANCE_TERMINATING' and m['EC2InstanceId'] == '$third' and m['AutoScalingGroupName'] == '$asg' and m['LifecycleHookName'] == 'drain' and len(m['LifecycleActionToken']) == 36 and json.loads(m['NotificationMetadata']) == {'cluster': '$cluster'})(json.loads(o['Messages'][0]['Body']))"
token=$(py "json.loads(o['Messages'][0]['Body'])['LifecycleActionToken']")
run $cli autoscaling record-lifecycle-action-heartbeat --auto-scaling-group-name "$asg" \
    --lifecycle-hook-name drain --lifecycle-action-token "$token"
run $cli autoscaling record-lifecycle-action-heartbeat --auto-scaling-group-name "$asg" \
    --lifecycle-hook-name drain --instance-id "$third"
expect_error "ValidationError" $cli autoscaling record-lifecycle-action-heartbeat --auto-scaling-group-name "$asg" \
    --lifecycle-hook-name drain --lifecycle-action-token 00000000-0000-0000-0000-000000000000
run $cli ec2 describe-instances --instance-ids "$third"
check "the held instance still runs" "o['Reservations'][0]['Instances'][0]['State']['Name'] == 'running'"
run $cli autoscaling complete-lifecycle-action --auto-scaling-group-name "$asg" --lifecycle-hook-name drain \
    --lifecycle-action-token "$token" --lifecycle-action-result CONTINUE
wait_for "after CompleteLifecycleAction the instance terminates" "o['Reservations'][0]['Instances'][0]['State']['Name'] in ('shutting-down', 'terminated')" 10 \
    ec2 describe-instances --instance-ids "$third"
expect_error "ValidationError" $cli autoscaling complete-lifecycle-action --auto-scaling-group-name "$asg" \
    --lifecycle-hook-name drain --lifecycle-action-token "$token" --lifecycle-action-result CONTINUE

# Mixed instances: one on-demand base, the rest spot.
mixed="mixed-$tag"
run $cli autoscaling create-auto-scaling-group --auto-scaling-group-name "$mixed" --min-size 0 --max-size 6 \
    --desired-capacity 3 --availability-zones us-east-1a us-east-1b us-east-1c \
    --mixed-instances-policy '{"LaunchTemplate":{"LaunchTemplateSpecification":{"LaunchTemplateName":"m5.large","Version":"$Latest"},"Overrides":[{"InstanceType":"m5.large"},{"InstanceType":"c5.large"}]},"InstancesDistribution":{"OnDemandBaseCapacity":1,"OnDemandPercentageAboveBaseCapacity":0,"SpotAllocationStrategy":"lowest-price"}}'
run $cli autoscaling describe-auto-scaling-groups --auto-scaling-group-names "$mixed"
check "MixedInstancesPolicy as given" "(lambda m: m['LaunchTemplate']['LaunchTemplateSpecification']['LaunchTemplateName'] == 'm5.large' and [x['InstanceType'] for x in m['LaunchTemplate']['Overrides']] == ['m5.large', 'c5.large'] and m['InstancesDistribution']['OnDemandBaseCapacity'] == 1 and m['InstancesDistribution']['OnDemandPercentageAboveBaseCapacity'] == 0)(o['AutoScalingGroups'][0]['MixedInstancesPolicy'])"
wait_for "the mixed group launches 1 on-demand and 2 spot" "sorted(i.get('InstanceLifecycle', 'on-demand') for r in o['Reservations'] for i in r['Instances']) == ['on-demand', 'spot', 'spot']" 10 \
    ec2 describe-instances --filters "Name=tag:aws:autoscaling:groupName,Values=$mixed"

# --- EC2 Spot Fleet ----------------------------------------------------------------------------
spot_cluster="spot-$tag"
run $cli ecs create-cluster --cluster-name "$spot_cluster"
user_data=$(printf 'ECS_CLUSTER=%s\n' "$spot_cluster" | base64 -w0)
run $cli ec2 request-spot-fleet --spot-fleet-request-config "{
  \"IamFleetRole\": \"arn:aws:iam::$ACCOUNT:role/fleet\", \"TargetCapacity\": 4, \"Type\": \"maintain\",
  \"AllocationStrategy\": \"lowestPrice\",
  \"LaunchSpecifications\": [
    {\"InstanceType\": \"c5.large\", \"WeightedCapacity\": 2, \"UserData\": \"$user_data\"},
    {\"InstanceType\": \"m5.large\", \"WeightedCapacity\": 1, \"UserData\": \"$user_data\"}]}"
check "request-spot-fleet" "o['SpotFleetRequestId'].startswith('sfr-')"
sfr=$(py "o['SpotFleetRequestId']")
expect_error "InvalidSpotFleetRequestConfig" $cli ec2 request-spot-fleet --spot-fleet-request-config \
    "{\"IamFleetRole\":\"arn:aws:iam::$ACCOUNT:role/fleet\",\"TargetCapacity\":2,\"LaunchSpecifications\":[]}"
run $cli ec2 describe-spot-fleet-requests --spot-fleet-request-ids "$sfr"
check "describe-spot-fleet-requests" "(lambda r: r['SpotFleetRequestId'] == '$sfr' and r['SpotFleetRequestState'] == 'active' and r['SpotFleetRequestConfig']['TargetCapacity'] == 4 and r['SpotFleetRequestConfig']['Type'] == 'maintain' and r['SpotFleetRequestConfig']['IamFleetRole'] == 'arn:aws:iam::$ACCOUNT:role/fleet' and sorted((s['InstanceType'], s['WeightedCapacity']) for s in r['SpotFleetRequestConfig']['LaunchSpecifications']) == [('c5.large', 2.0), ('m5.large', 1.0)] and r['CreateTime'])(o['SpotFleetRequestConfigs'][0])"
wait_for "the fleet is fulfilled" "(lambda r: r['SpotFleetRequestConfig']['FulfilledCapacity'] == 4.0 and r['ActivityStatus'] == 'fulfilled')(o['SpotFleetRequestConfigs'][0])" 10 \
    ec2 describe-spot-fleet-requests --spot-fleet-request-ids "$sfr"
run $cli ec2 describe-spot-fleet-instances --spot-fleet-request-id "$sfr" --no-paginate
check "describe-spot-fleet-instances" "o['SpotFleetRequestId'] == '$sfr' and sum({'c5.large': 2, 'm5.large': 1}[i['InstanceType']] for i in o['ActiveInstances']) == 4 and all(i['InstanceId'].startswith('i-') and i['SpotInstanceRequestId'].startswith('sir-') and i['InstanceHealth'] == 'healthy' for i in o['ActiveInstances'])"
fleet_ids=($(py "' '.join(i['InstanceId'] for i in o['ActiveInstances'])"))
run $cli ec2 describe-instances --instance-ids "${fleet_ids[@]}"
check "fleet instances are spot" "all(i['InstanceLifecycle'] == 'spot' and i['SpotInstanceRequestId'].startswith('sir-') for r in o['Reservations'] for i in r['Instances'])"
wait_for "fleet instances join the cluster named in their user data" "len(o['containerInstanceArns']) == ${#fleet_ids[@]}" $BOOT_WAIT \
    ecs list-container-instances --cluster "$spot_cluster"

run $cli ec2 modify-spot-fleet-request --spot-fleet-request-id "$sfr" --target-capacity 6
check "modify-spot-fleet-request" "o['Return'] is True"
wait_for "the fleet grows to the new target" "(lambda r: r['SpotFleetRequestConfig']['TargetCapacity'] == 6 and r['SpotFleetRequestConfig']['FulfilledCapacity'] >= 6.0)(o['SpotFleetRequestConfigs'][0])" 10 \
    ec2 describe-spot-fleet-requests --spot-fleet-request-ids "$sfr"
expect_error "InvalidSpotFleetRequestId" $cli ec2 modify-spot-fleet-request --spot-fleet-request-id "sfr-00000000-0000-0000-0000-000000000000" --target-capacity 1

# TerminateInstances on a fleet instance: the fleet replaces the lost capacity.
victim=${fleet_ids[0]}
run $cli ec2 terminate-instances --instance-ids "$victim"
check "terminate-instances" "[(c['InstanceId'], c['PreviousState']['Name'], c['CurrentState']['Name'], c['CurrentState']['Code']) for c in o['TerminatingInstances']] == [('$victim', 'running', 'shutting-down', 32)]"
expect_error "InvalidInstanceID.NotFound" $cli ec2 terminate-instances --instance-ids i-0000000000000dead
wait_for "the fleet replaces the terminated instance" "'$victim' not in [i['InstanceId'] for i in o['ActiveInstances']] and sum({'c5.large': 2, 'm5.large': 1}[i['InstanceType']] for i in o['ActiveInstances']) >= 6" 15 \
    ec2 describe-spot-fleet-instances --spot-fleet-request-id "$sfr"
run $cli ec2 describe-spot-fleet-instances --spot-fleet-request-id "$sfr" --no-paginate
fleet_now=($(py "' '.join(i['InstanceId'] for i in o['ActiveInstances'])"))

run $cli ec2 cancel-spot-fleet-requests --spot-fleet-request-ids "$sfr" --terminate-instances
check "cancel-spot-fleet-requests" "[(s['SpotFleetRequestId'], s['CurrentSpotFleetRequestState'], s['PreviousSpotFleetRequestState']) for s in o['SuccessfulFleetRequests']] == [('$sfr', 'cancelled_terminating', 'active')] and o['UnsuccessfulFleetRequests'] == []"
wait_for "the cancelled fleet's instances terminate" "len(o['Reservations']) == ${#fleet_now[@]} and all(i['State']['Name'] in ('shutting-down', 'terminated') for r in o['Reservations'] for i in r['Instances'])" 10 \
    ec2 describe-instances --instance-ids "${fleet_now[@]}"
wait_for "describe-spot-fleet-requests: cancelled" "o['SpotFleetRequestConfigs'][0]['SpotFleetRequestState'] in ('cancelled_terminating', 'cancelled')" 5 \
    ec2 describe-spot-fleet-requests --spot-fleet-request-ids "$sfr"
expect_error "InvalidSpotFleetRequestId" $cli ec2 describe-spot-fleet-instances --spot-fleet-request-id "sfr-00000000-0000-0000-0000-000000000000"

# --- ECS: deregistering a container instance ------------------------------------------------------
expect_error "ClusterNotFoundException" $cli ecs deregister-container-instance --cluster "missing-$tag" --container-instance "$ci1"
run $cli ecs deregister-container-instance --cluster "$cluster" --container-instance "$ci1" --force
check "deregister-container-instance" "o['containerInstance']['containerInstanceArn'] == '$ci1' and o['containerInstance']['status'] == 'INACTIVE'"
run $cli ecs list-container-instances --cluster "$cluster"
check "the deregistered instance is no longer listed" "'$ci1' not in o['containerInstanceArns'] and '$ci0' in o['containerInstanceArns']"

# Instances leave shutting-down after 30 s (EC2's shutdown): the hooked instance leaves its
# group, and the fleet's terminated instance shows as terminated.
wait_for "the hooked instance leaves the group once terminated" "sorted(i['InstanceId'] for i in o['AutoScalingGroups'][0]['Instances']) == ['${asg_ids[0]}', '${asg_ids[1]}']" 45 \
    autoscaling describe-auto-scaling-groups --auto-scaling-group-names "$asg"
wait_for "the terminated instance ends terminated" "o['Reservations'][0]['Instances'][0]['State'] == {'Code': 48, 'Name': 'terminated'}" 45 \
    ec2 describe-instances --instance-ids "$victim"

# --- The same shapes through awscli 1.45 (newer botocore) --------------------------------------
cli=$AWS1
run $cli ecs describe-clusters --clusters "$cluster"
check "awscli 1: describe-clusters" "o['clusters'][0]['clusterArn'] == '$cluster_arn'"
run $cli ecs list-container-instances --cluster "$cluster" --filter "ec2InstanceId in ['${asg_ids[0]}']"
check "awscli 1: list-container-instances --filter" "o['containerInstanceArns'] == ['$ci0']"
run $cli ec2 describe-instance-types --instance-types m5.large
check "awscli 1: describe-instance-types" "o['InstanceTypes'][0]['VCpuInfo']['DefaultVCpus'] == 2"
run $cli ec2 describe-spot-fleet-requests --spot-fleet-request-ids "$sfr"
check "awscli 1: describe-spot-fleet-requests" "o['SpotFleetRequestConfigs'][0]['SpotFleetRequestConfig']['TargetCapacity'] == 6"
run $cli autoscaling describe-auto-scaling-groups --auto-scaling-group-names "$asg"
check "awscli 1: describe-auto-scaling-groups" "o['AutoScalingGroups'][0]['DesiredCapacity'] == 2"
run $cli autoscaling describe-lifecycle-hooks --auto-scaling-group-name "$asg"
check "awscli 1: describe-lifecycle-hooks" "o['LifecycleHooks'][0]['LifecycleHookName'] == 'drain'"
run $cli elbv2 describe-target-groups --target-group-arns "$tg"
check "awscli 1: describe-target-groups" "o['TargetGroups'][0]['HealthCheckIntervalSeconds'] == 5"
run $cli elbv2 describe-target-health --target-group-arn "$tg"
check "awscli 1: describe-target-health" "isinstance(o['TargetHealthDescriptions'], list)"
expect_message "No Container Instances were found in your cluster." $cli ecs run-task --cluster "$spot_cluster" --task-definition "web-$tag"

echo "fleet e2e ran in $((SECONDS - START)) s"
finish
