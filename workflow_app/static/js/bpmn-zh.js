// bpmn-js in Chinese: a translate module (bpmn-js's additionalModules) with the strings its palette,
// context pad and replace menu show. A string not listed is shown as bpmn-js wrote it; {name}
// placeholders are filled in as bpmn-js's own translate does.
(function () {
  "use strict";
  var ZH = {
    // palette
    "Activate hand tool": "抓手工具（拖动画布）",
    "Activate lasso tool": "套索工具（框选元素）",
    "Activate create/remove space tool": "空间工具（插入或移除空白）",
    "Activate global connect tool": "全局连线工具",
    "Create start event": "创建开始事件",
    "Create intermediate/boundary event": "创建中间事件或边界事件",
    "Create end event": "创建结束事件",
    "Create gateway": "创建网关",
    "Create task": "创建任务",
    "Create data object reference": "创建数据对象引用",
    "Create data store reference": "创建数据存储引用",
    "Create expanded sub-process": "创建展开的子流程",
    "Create pool/participant": "创建池（参与者）",
    "Create group": "创建分组",
    // context pad
    "Append end event": "追加结束事件",
    "Append gateway": "追加网关",
    "Append task": "追加任务",
    "Append intermediate/boundary event": "追加中间事件或边界事件",
    "Append compensation activity": "追加补偿活动",
    "Append conditional intermediate catch event": "追加条件中间捕获事件",
    "Append message intermediate catch event": "追加消息中间捕获事件",
    "Append receive task": "追加接收任务",
    "Append signal intermediate catch event": "追加信号中间捕获事件",
    "Append timer intermediate catch event": "追加定时中间捕获事件",
    "Add lane above": "在上方添加泳道",
    "Add lane below": "在下方添加泳道",
    "Add text annotation": "添加文本注释",
    "Divide into two lanes": "拆分为两个泳道",
    "Divide into three lanes": "拆分为三个泳道",
    "Change element": "更改元素类型",
    "Connect to other element": "连接到其他元素",
    "Connect using association": "用关联连接",
    "Connect using data input association": "用数据输入关联连接",
    "Delete": "删除",
    "Align elements": "对齐元素",
    "Distribute elements horizontally": "水平均匀分布",
    "Distribute elements vertically": "垂直均匀分布",
    "Search in diagram": "在图中搜索",
    "Open {element}": "打开 {element}",
    "Toggle non-interrupting": "切换为非中断",
    "Loop": "循环",
    "Parallel multi-instance": "并行多实例",
    "Sequential multi-instance": "串行多实例",
    "Collection": "集合",
    "Participant multiplicity": "参与者多重性",
    // replace menu (更改元素类型)
    "Task": "任务", "User task": "用户任务", "Service task": "服务任务", "Script task": "脚本任务",
    "Business rule task": "业务规则任务", "Manual task": "手工任务", "Send task": "发送任务",
    "Receive task": "接收任务", "Call activity": "调用活动", "Sub-process": "子流程",
    "Sub-process (collapsed)": "子流程（折叠）", "Sub-process (expanded)": "子流程（展开）",
    "Ad-hoc sub-process": "自由子流程", "Ad-hoc sub-process (collapsed)": "自由子流程（折叠）",
    "Ad-hoc sub-process (expanded)": "自由子流程（展开）", "Event sub-process": "事件子流程",
    "Transaction": "事务",
    "Start event": "开始事件", "End event": "结束事件", "Intermediate throw event": "中间抛出事件",
    "Boundary event": "边界事件",
    "Message start event": "消息开始事件", "Timer start event": "定时开始事件",
    "Conditional start event": "条件开始事件", "Signal start event": "信号开始事件",
    "Error start event": "错误开始事件", "Escalation start event": "升级开始事件",
    "Compensation start event": "补偿开始事件",
    "Message start event (non-interrupting)": "消息开始事件（非中断）",
    "Timer start event (non-interrupting)": "定时开始事件（非中断）",
    "Conditional start event (non-interrupting)": "条件开始事件（非中断）",
    "Signal start event (non-interrupting)": "信号开始事件（非中断）",
    "Escalation start event (non-interrupting)": "升级开始事件（非中断）",
    "Message intermediate catch event": "消息中间捕获事件", "Message intermediate throw event": "消息中间抛出事件",
    "Timer intermediate catch event": "定时中间捕获事件", "Escalation intermediate throw event": "升级中间抛出事件",
    "Conditional intermediate catch event": "条件中间捕获事件", "Link intermediate catch event": "链接中间捕获事件",
    "Link intermediate throw event": "链接中间抛出事件", "Compensation intermediate throw event": "补偿中间抛出事件",
    "Signal intermediate catch event": "信号中间捕获事件", "Signal intermediate throw event": "信号中间抛出事件",
    "Message end event": "消息结束事件", "Escalation end event": "升级结束事件", "Error end event": "错误结束事件",
    "Cancel end event": "取消结束事件", "Compensation end event": "补偿结束事件", "Signal end event": "信号结束事件",
    "Terminate end event": "终止结束事件",
    "Message boundary event": "消息边界事件", "Timer boundary event": "定时边界事件",
    "Escalation boundary event": "升级边界事件", "Conditional boundary event": "条件边界事件",
    "Error boundary event": "错误边界事件", "Cancel boundary event": "取消边界事件",
    "Signal boundary event": "信号边界事件", "Compensation boundary event": "补偿边界事件",
    "Message boundary event (non-interrupting)": "消息边界事件（非中断）",
    "Timer boundary event (non-interrupting)": "定时边界事件（非中断）",
    "Escalation boundary event (non-interrupting)": "升级边界事件（非中断）",
    "Conditional boundary event (non-interrupting)": "条件边界事件（非中断）",
    "Signal boundary event (non-interrupting)": "信号边界事件（非中断）",
    "Exclusive gateway": "排他网关", "Parallel gateway": "并行网关", "Inclusive gateway": "包容网关",
    "Complex gateway": "复杂网关", "Event-based gateway": "事件网关",
    "Event based instantiating Gateway": "事件网关（实例化）",
    "Parallel Event based instantiating Gateway": "并行事件网关（实例化）",
    "Sequence flow": "顺序流", "Default flow": "默认顺序流", "Conditional flow": "条件顺序流",
    "Data object reference": "数据对象引用", "Data store reference": "数据存储引用",
    "Expanded pool/participant": "展开的池（参与者）", "Empty pool/participant": "空的池（参与者）",
    // popup menu
    "Search": "搜索", "No matching entries found.": "没有匹配的项"
  };

  function translate(template, replacements) {
    replacements = replacements || {};
    var text = Object.prototype.hasOwnProperty.call(ZH, template) ? ZH[template] : template;
    return text.replace(/{([^}]+)}/g, function (_, key) {
      return Object.prototype.hasOwnProperty.call(replacements, key) ? replacements[key] : "{" + key + "}";
    });
  }

  window.socorgBpmnZh = { translate: ["value", translate] };
  window.socorgBpmnZhStrings = ZH; // for tests: the dictionary's keys
})();
