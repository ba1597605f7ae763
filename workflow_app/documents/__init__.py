"""Documents a case issues (告知书, 决定书, 证书 …): rendered from bpmn/documents/, stored with the instance."""
